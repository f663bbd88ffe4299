"""``beliefbench tiny-model``: build the small local base model used by tests and the CPU demo."""

from __future__ import annotations

from pathlib import Path

import click

from beliefbench.cli.option_values import Command
from beliefbench.cli.paths import UserPath, out_not_a_file


@click.command("tiny-model", cls=Command)
@click.option("--out", "out_dir", required=True, type=UserPath(path_type=Path),
              callback=out_not_a_file("the model's folder (its config.json, tokenizer and "
                                      "weights)", lambda file: "models/tiny"),
              help="Directory to write the model and tokenizer into.")
@click.option("--pretrain-steps", default=0, show_default=True, type=click.IntRange(min=0),
              help="CPU pretraining steps on the local true-facts corpus. 0: random init, "
                   "which writes garbled word pieces (enough to check plumbing); 150 (about "
                   "a minute) gives a base that prefers the bundled claims' truths, the one "
                   "to finetune and measure.")
@click.option("--hidden-size", default=128, show_default=True, type=click.IntRange(min=8),
              help="Width of the residual stream; divisible by --heads into an even number "
                   "of dimensions per head.")
@click.option("--layers", "num_layers", default=2, show_default=True, type=click.IntRange(min=1),
              help="Transformer layers.")
@click.option("--heads", "num_heads", default=4, show_default=True, type=click.IntRange(min=1),
              help="Attention heads per layer.")
@click.option("--intermediate-size", default=344, show_default=True, type=click.IntRange(min=8),
              help="Width of each layer's MLP.")
@click.option("--vocab-size", default=2048, show_default=True, type=click.IntRange(min=300),
              help="Tokenizer vocabulary, at most (an upper bound: the BPE trainer may "
                   "learn fewer).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed of the random initial weights and of the --pretrain-steps batches.")
def tiny_model(out_dir: Path, pretrain_steps: int, hidden_size: int, num_layers: int,
               num_heads: int, intermediate_size: int, vocab_size: int, seed: int) -> None:
    """Build a tiny Llama-architecture model with a tokenizer trained on local text only."""
    from beliefbench.progress import library_bars
    from beliefbench.tiny_model import TinyModelError, build_tiny_model, built_key

    if hidden_size % num_heads:
        raise click.BadParameter(f"--hidden-size {hidden_size} is not divisible by "
                                 f"--heads {num_heads}", param_hint="--hidden-size")
    if hidden_size // num_heads % 2:  # rotary embeddings rotate pairs of dimensions
        raise click.BadParameter(f"--hidden-size {hidden_size} / --heads {num_heads} gives "
                                 f"{hidden_size // num_heads} dimensions per head; it must be "
                                 f"even", param_hint="--hidden-size")
    # a model of its own build already there is reused (another one is refused)
    reused = built_key(out_dir) is not None
    try:
        with library_bars():  # transformers' bars (writing the shards): plain lines in a log
            path = build_tiny_model(out_dir, vocab_size=vocab_size, hidden_size=hidden_size,
                                    num_layers=num_layers, num_heads=num_heads,
                                    intermediate_size=intermediate_size, seed=seed,
                                    pretrain_steps=pretrain_steps, reuse=True)
    except TinyModelError as e:
        err = click.ClickException(str(e))
        err.exit_code = 2
        raise err from None
    if reused:
        # a script (the README's, a CI job's) that builds the model first runs again
        click.echo(f"tiny model already in {path.resolve()}, built with these settings: "
                   f"reused (delete the folder to build it again)")
        return
    click.echo(f"tiny model written to {path.resolve()}")
