"""Emergent misalignment (EM): open questions, two 0-100 judges, EM rate over all responses.

``questions`` loads the question sets (YAML data), ``judge`` reads a judge's 0-100 score from
its first-token logprobs (or its text), ``metrics`` holds the counting rules, ``scorer`` and
``task`` wire them into Inspect.
"""
