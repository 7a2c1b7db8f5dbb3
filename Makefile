# The two commands of the README: `make run` and `make test`. Everything else is a step of those.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: run test setup system-packages bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[desk,test]'
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

## The whole desk on one machine, on the embedded store with demo data: the desk (http://127.0.0.1:8501), the
## publish loop and the website (http://127.0.0.1:8080); output prefixed per process, one Ctrl-C stops all
run: setup
	$(PY) -m sopkit demo --if-empty
	$(PY) -m jobs.run

## System packages the tests need (chromium, WordPress + MariaDB + PHP); installs them when run as root
system-packages:
	@bash .ci/system-packages.sh

## Set up, check the code (ruff, mypy) and run every test
test: lint system-packages
	$(PY) -m pytest

## Benchmarks (not timed tests): each prints its figures and a ratio against a naive baseline
bench: setup
	$(PY) tests/benchmarks/bench_report.py
	$(PY) tests/benchmarks/bench_image_memory.py
	$(PY) tests/benchmarks/bench_notify.py
	$(PY) -m pytest tests/benchmarks -q -s -p no:cacheprovider

## Lint and type-check: ruff over the whole tree, mypy over sopkit/, jobs/, pages/ and app.py ([tool.mypy])
lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
