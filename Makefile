# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

export OMP_WAIT_POLICY ?= passive
export HF_HUB_OFFLINE ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: run test install clean-store reliability

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/hoidap serve

test: $(STAMP)
	$(PY) -m pytest -q

# slower robustness suites (all fault modes, many kill -9s, 20-client load, CLI fuzzing) and
# reports/reliability.md with the figures; `make test` runs only their fast subset
reliability: $(STAMP)
	nice -n 10 $(PY) -m bench.reliability

clean-store:
	rm -rf .hoidap
