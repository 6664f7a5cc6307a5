# Front door for people. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install test report check lab

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (review)" >/dev/null
	touch $(STAMP)

install: $(STAMP) ## Create .venv (if missing) and install the package with its test extra

test: $(STAMP) ## Run every test
	$(BIN)/python -m pytest

report: $(STAMP) ## Build every report into reports/
	$(BIN)/review build

check: $(STAMP) ## Rebuild into a temporary folder and compare with the published reports/
	$(BIN)/review check

lab: $(STAMP) ## Open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/
