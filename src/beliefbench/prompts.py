"""Fixed prompt text the probes add around a claim's own questions."""

BINARY_INSTRUCTION = (
    "Answer with yes or no. Reply only with a JSON object of the form "
    '{"answer": "yes"} or {"answer": "no"}.'
)

CONTEXT_PREAMBLE = (
    "Here are some documents for background. Read them, then answer the question after them."
)

CONTEXT_SYSTEM_PREAMBLE = (
    "The following is background information for this conversation. Take it into account "
    "when you answer the user."
)
"""``-T context_role=system``: the context as part of the system prompt, where a model
takes its instructions and premises, not as documents shown beside the question."""
