# Two commands on a fresh machine: `make repro` (set up + run the embedded default) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PIP := $(PY) -m pip install -q -c constraints.txt
export KEDRO_DISABLE_TELEMETRY := 1
export DVC_NO_ANALYTICS := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install repro test test-fast bench clean

install: $(STAMP)

# torch first (its wheel lies on disk here; on a CUDA machine pip fetches the same version),
# then numpy + cython, then xtcocotools built from source against numpy 2 (its PyPI wheel is
# built for numpy 1 and fails on import), then the project with the exact pins of constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) torch torchvision
	$(PIP) numpy cython setuptools wheel
	$(PIP) --no-build-isolation --no-binary xtcocotools xtcocotools
	$(PIP) -e '.[test]'
	$(PY) -c "import xtcocotools._mask, pycocotools._mask, timm, kedro, dvc, posebh" \
	  || { echo "install check failed: a compiled dependency does not import" >&2; exit 1; }
	touch $@

repro: $(STAMP)
	dvc repro
	@echo "report: $(CURDIR)/reports/index.html"

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not e2e"

# Benchmarks (results under reports/bench/): evaluator speed/parity (posebh path, xtcocotools,
# pycocotools, faster-coco-eval) on a synthetic 50k-instance COCO keypoint set, and PoseBH's
# train-step time per phase and deployed FLOPs/latency against the baseline.
bench: $(STAMP)
	$(PIP) -e '.[bench]'
	$(PY) -m posebh.commands bench --out reports/bench/eval.json
	$(PY) -m posebh.commands bench-method --out reports/bench/method.json

clean:
	rm -rf data/0* reports/index.html reports/tables reports/metrics reports/metrics.json
