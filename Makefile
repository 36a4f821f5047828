# crackdown: two commands on a fresh machine with Python >= 3.11 and make.
#   make report   build .venv if needed, install the pinned environment, run every notebook, write outputs/html/
#   make test     the same set-up, then the full test suite (what CI runs)
#   make lab      JupyterLab on 127.0.0.1 in the project's environment

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.crackdown-installed
PYTEST_ARGS ?=

.PHONY: report test lab lock clean-outputs mutation

# pip prints each package as it is collected and installed (no --quiet): the first install takes minutes
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || { echo "crackdown: [1/3] creating the virtual environment $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "crackdown: [2/3] installing the pinned environment (requirements.lock)"
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.lock
	@echo "crackdown: [3/3] installing the crackdown package (editable)"
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@echo "crackdown: environment ready ($(VENV))"

report: $(STAMP)
	$(BIN)/crackdown run --profile full

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# --allow-root only where make runs as root (a container): JupyterLab refuses root otherwise
lab: $(STAMP)
	$(BIN)/jupyter lab --ip 127.0.0.1 --no-browser --notebook-dir notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# Re-pin every dependency (runtime and dev) to the newest versions that install together.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ echo '# Exact versions of every package (runtime and dev), installed by `make`; regenerate with `make lock`.'; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable --all | grep -v '^crackdown'; } > requirements.lock
	rm -rf .venv-lock

clean-outputs:
	find outputs -mindepth 1 ! -name README.md -exec rm -rf {} +

# Mutation testing of the statistics modules (minutes of CPU; not part of `make test`). Result: MUTATION.md.
MODULES ?= eventstudy
MUTVENV := .venv-mutation
$(MUTVENV)/bin/mutmut: $(STAMP)
	$(BIN)/python -m venv --system-site-packages $(MUTVENV)
	$(MUTVENV)/bin/python -m pip install --disable-pip-version-check mutmut==3.8.1
	ls -d "$(CURDIR)"/$(VENV)/lib/python3*/site-packages > "$$(ls -d $(MUTVENV)/lib/python3*/site-packages)/zz_project_venv.pth"

mutation: $(MUTVENV)/bin/mutmut
	MUTMUT=$(CURDIR)/$(MUTVENV)/bin/mutmut benchmarks/mutation.sh $(MODULES)
