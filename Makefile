# Every target bootstraps its own virtualenv (.venv) from pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test model bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## synthesize a few dozen strips and read them with the shipped model
	$(BIN)/ocr demo

test: $(STAMP)  ## run the whole test suite
	$(BIN)/python -m pytest

model: $(STAMP)  ## rebuild models/digits28.npz, digits8.npz and sequence.npz (fixed seed; about 1 h 15 min on 2 cores)
	$(BIN)/ocr train --size 28 --seed 0 --out models/digits28.npz --plot models/digits28-curve.png
	$(BIN)/ocr train --size 8 --seed 0 --hidden 512,256 --out models/digits8.npz --plot models/digits8-curve.png
	$(BIN)/ocr train-sequence --seed 0 --out models/sequence.npz
	$(BIN)/ocr train-sequence --init models/sequence.npz --long-flag --strips 40000 --epochs 1 --lr 5e-4 --seed 1000 --out models/sequence.npz

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
