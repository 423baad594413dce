# Two commands on a fresh machine: `make repro` (set up + run the embedded default) and `make test`.
# Another interpreter for the venv: `make repro PYTHON=/path/to/python3.11`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PIP := $(PY) -m pip install -q -c constraints.txt
export KEDRO_DISABLE_TELEMETRY := 1
export DVC_NO_ANALYTICS := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install check-prereqs repro test test-fast bench clean

install: $(STAMP)

# Prerequisites, checked before anything is downloaded (one line on stderr, exit 1): $(PYTHON)
# within pyproject's requires-python, with its headers (Python.h), a C compiler (xtcocotools is
# built from source) and git (dvc repro needs a git repository).
REQUIRES_PYTHON := $(shell sed -n 's/^requires-python *= *"\([^"]*\)".*/\1/p' pyproject.toml)
VERSION_OK := import operator as o, re, sys; ops = {">=": o.ge, "<=": o.le, ">": o.gt, "<": o.lt, \
  "==": o.eq, "!=": o.ne}; specs = [re.fullmatch(r"([<>=!]=?)([0-9.]+)", s.strip()).groups() \
  for s in sys.argv[1].split(",")]; sys.exit(not all(ops[op](sys.version_info[:3], \
  tuple(int(x) for x in v.split("."))) for op, v in specs))
HAS_HEADERS := import os, sys, sysconfig; \
  sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))
check-prereqs:
	@fail() { echo "make: prerequisite missing: $$*" >&2; exit 1; }; \
	command -v $(PYTHON) >/dev/null 2>&1 || fail "$(PYTHON) not found (install Python $(REQUIRES_PYTHON) or run make PYTHON=/path/to/python3.11)"; \
	ver=$$($(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null) \
	  || fail "$(PYTHON) does not run (run make PYTHON=/path/to/python3.11)"; \
	$(PYTHON) -c '$(VERSION_OK)' '$(REQUIRES_PYTHON)' 2>/dev/null \
	  || fail "$(PYTHON) is Python $$ver, pyproject.toml requires $(REQUIRES_PYTHON) (run make PYTHON=/path/to/python3.11)"; \
	$(PYTHON) -c '$(HAS_HEADERS)' \
	  || fail "the headers of $(PYTHON) (Python.h) are absent (e.g. apt install python3.11-dev): xtcocotools is compiled"; \
	command -v $(firstword $(CC)) >/dev/null 2>&1 \
	  || fail "no C compiler ($(firstword $(CC))): xtcocotools is built from source (e.g. apt install gcc)"; \
	command -v git >/dev/null 2>&1 || fail "git not found: dvc repro needs a git repository (a clone, not a ZIP download)"

# torch first (its wheel lies on disk here; on a CUDA machine pip fetches the same version),
# then numpy + cython, then xtcocotools built from source against numpy 2 (its PyPI wheel is
# built for numpy 1 and fails on import), then the project with the exact pins of constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory check-prereqs
	$(PYTHON) -m venv $(VENV)
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
