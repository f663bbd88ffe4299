"""The solver: generate an answer, recording a failed generation instead of losing it."""

from __future__ import annotations

from inspect_ai.solver import Generate, Solver, TaskState, solver

GENERATION_ERROR = "generation_error"
"""Sample metadata key set when the model under test raised instead of answering."""


@solver
def answer() -> Solver:
    """Generate once; if the model call fails after Inspect's retries, record why.

    The sample then scores as ``failed`` (non-belief, reported on its own) rather than
    erroring out of the denominator.
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        try:
            return await generate(state)
        except Exception as e:  # noqa: BLE001 - any model failure is a failed generation
            state.metadata[GENERATION_ERROR] = f"{type(e).__name__}: {e}"[:2000]
            return state

    return solve
