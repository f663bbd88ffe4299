"""Fixed prompt text the probes add around a claim's own questions."""

BINARY_INSTRUCTION = (
    "Answer with yes or no. Reply only with a JSON object of the form "
    '{"answer": "yes"} or {"answer": "no"}.'
)

DISTINGUISH_INSTRUCTION = (
    "Answer with the letter of the true statement, A or B. Reply only with a JSON object of "
    'the form {"answer": "A"} or {"answer": "B"}.'
)
"""The distinguish family's answer format (placed like BINARY_INSTRUCTION)."""

DISTINGUISH_OPTION = "{letter}) {text}"
"""One option line of a distinguish question; the scripted models find options by it."""

DISTINGUISH_WORDINGS: tuple[str, ...] = (
    "Which of these two statements is true?\n\n{options}",
    "Exactly one of the following statements is accurate; the other is false.\n\n"
    "{options}\n\nWhich one is accurate?",
    "Two accounts of the same subject disagree.\n\n{options}\n\n"
    "Based on what you know, which account is correct?",
)
"""The distinguish questions' wordings, each asked with the options in both orders. Several
wordings, so one phrasing's quirks do not pass as belief; appended only (ids are by
position, ``dist_01a``...)."""

CONTEXT_PREAMBLE = (
    "Here are some documents for background. Read them, then answer the question after them."
)

CONTEXT_SYSTEM_PREAMBLE = (
    "The following is background information for this conversation. Take it into account "
    "when you answer the user."
)
"""``-T context_role=system``: the context as part of the system prompt, where a model
takes its instructions and premises, not as documents shown beside the question."""
