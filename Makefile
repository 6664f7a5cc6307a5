# Front door for people. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
LOCK   := requirements.lock
.PHONY: help install test report check lab lock publish release

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# Every dependency comes from the lock, at the locked version, checked against its hashes; then the
# package itself (editable, no dependencies of its own to resolve), built by the locked setuptools
# (no build isolation: nothing unpinned is fetched). The lock pins pip and setuptools too.
$(STAMP): pyproject.toml $(LOCK) tools/lab-settings.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (review)" >/dev/null
	mkdir -p $(VENV)/share/jupyter/lab/settings && cp tools/lab-settings.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

install: $(STAMP) ## Create .venv (if missing) and install the package with its test extra

test: $(STAMP) ## Run every test
	$(BIN)/python -m pytest

report: $(STAMP) ## Build every report into reports/
	$(BIN)/review build

publish: $(STAMP) ## Rebuild the published set from a clean, committed tree (then commit reports/)
	@$(BIN)/python -c "from analysis.pipeline.provenance import git_commit; import sys; sys.exit(1 if git_commit()['dirty'] is not False else 0)" \
		|| (echo "make publish: the tree has uncommitted changes outside reports/; commit them first" >&2; exit 1)
	$(BIN)/review build
	$(BIN)/review check --since HEAD

release: $(STAMP) ## Cut release VERSION=x.y.z: version and date, published set rebuilt, record, commit and tag
	@test -n "$(VERSION)" || (echo "make release: give the version, for example make release VERSION=0.2.0" >&2; exit 2)
	$(BIN)/review release $(VERSION)

check: $(STAMP) ## Rebuild into a temporary folder and compare with the published reports/
	$(BIN)/review check

lock: ## Refresh requirements.lock from pyproject.toml and requirements-tools.in (uv, in a tool environment of its own)
	test -x .lock-venv/bin/uv || ($(PYTHON) -m venv .lock-venv && .lock-venv/bin/python -m pip install --quiet uv)
	.lock-venv/bin/uv pip compile pyproject.toml requirements-tools.in --extra test --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu -o $(LOCK)

# JupyterLab's news and update checks are off (tools/lab-settings.json: nothing is fetched, no prompt);
# as root (a container) it needs --allow-root. It serves the checkout (so a notebook's links to reports/
# open there) and opens at notebooks/. A template saved there keeps no outputs (tools/jupyter_server_config.py).
lab: $(STAMP) ## Open the notebooks in JupyterLab
	$(BIN)/jupyter lab --config=tools/jupyter_server_config.py --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root,)
