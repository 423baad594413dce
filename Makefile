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

# Benchmarks (JSON under reports/bench/, committed): evaluator speed/parity (eval.json), PoseBH
# train-step and deployment cost (method.json), the baseline stage timed under this commit and
# under BENCH_REF, the main before the performance work (stage.json, ~10 min), then the loader /
# step / evaluation timings, the profile and the six performance figures (perf.json,
# profile.json). Needs the converted data (`dvc repro data`, run here first).
BENCH_REF ?= 711e8e9
bench: $(STAMP)
	$(PIP) -e '.[bench]'
	dvc repro data
	$(PY) -m posebh.commands bench --out reports/bench/eval.json
	$(PY) -m posebh.commands bench-method --out reports/bench/method.json
	$(PY) -m posebh.commands bench-stage --reference $(BENCH_REF) --out reports/bench/stage.json
	$(PY) -m posebh.commands bench-perf --dir reports/bench

clean:
	rm -rf data/0* reports/index.html reports/tables reports/metrics reports/metrics.json
