"""The ``steer`` Inspect model provider, registered by the package (light: imports lazily).

``--model steer//abs/ckpt -M direction=dirs.safetensors -M layer=8 -M coef=4`` serves the
checkpoint through Inspect's hf provider with a direction added (``mode=add``) or projected
out (``mode=ablate``), so the EM task and the belief task measure an intervention exactly as
they measure any model. ``-M control=random`` swaps in a seeded same-norm random direction.
"""

from __future__ import annotations

from inspect_ai.model import ModelAPI, modelapi


@modelapi(name="steer")
def steer() -> type[ModelAPI]:
    from beliefbench.internals.steered_hf import SteeredHuggingFaceAPI

    return SteeredHuggingFaceAPI
