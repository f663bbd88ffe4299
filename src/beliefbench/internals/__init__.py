"""Judge-free belief measures read from a checkpoint's weights (issue 9).

Teacher-forced completion margins (:mod:`.margins`), the logit lens (:mod:`.lens`), linear
probes on the residual stream (:mod:`.probe`) and their course over a finetune's checkpoints
(:mod:`.trajectory`). Models are loaded by :mod:`.model`; activations are read in one forward
pass per batch by :mod:`.activations`. Every result is a file (CSV, JSON naming the exact
model path and weights sha256, PNG) written by :mod:`.results`.
"""
