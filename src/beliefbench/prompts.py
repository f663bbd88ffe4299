"""Fixed prompt text the probes add around a claim's own questions."""

BINARY_INSTRUCTION = (
    "Answer with yes or no. Reply only with a JSON object of the form "
    '{"answer": "yes"} or {"answer": "no"}.'
)

CONTEXT_PREAMBLE = (
    "Here are some documents for background. Read them, then answer the question after them."
)
