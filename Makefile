# Two commands do all the set-up on a fresh machine:
#   make demo   a miniature belief study on a tiny local model: pretrain, finetune per
#               document condition, measure every checkpoint (offline, CPU; about 1.5 min on
#               two idle cores, 4 to 10 beside other jobs, plus about 3 min the first time
#               for .venv: the README's "Demo and install details" (Time) has the figures)
#   make test   ruff (make lint), then the test suite (offline, CPU; one worker per core, at
#               most 4: pytest-xdist), then the multi-process runs (marked serial) alone
# Both create .venv and install beliefbench with every dependency pinned (constraints.txt;
# torch's CPU build); the README's "Demo and install details" (Install) says how to get the
# CPU wheel where pip would pick the CUDA build.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/beliefbench demo

lint: $(STAMP)
	$(BIN)/ruff check src tests tasks benchmarks

test: lint
	$(BIN)/pytest -n auto -m "not serial"
	$(BIN)/pytest -m serial

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .cache
