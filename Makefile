# lanlab: a small internet on one machine. `make up`, then `make test`.
# The targets are thin: the work is in lanlab/control (python -m lanlab.control).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LAB    := $(PY) -m lanlab.control
NODE   ?= alice
# A generated lab: `make up SUBNETS=10 HOSTS=10 [BASE=10.100]` (lanlab/topology.py).
LABARGS := $(if $(SUBNETS),--subnets $(SUBNETS)) $(if $(HOSTS),--hosts $(HOSTS)) $(if $(BASE),--base $(BASE))
ONLY   ?=
# make capture / trace / show: quote what make passes (a FILTER or CMD may hold spaces).
quote   = '$(subst ','\'',$(1))'
NUMERIC = $(if $(filter 1,$(N)),1,$(if $(filter 0,$(NAMES)),1,))

.PHONY: up down test unit lab-test shell logs status leases bench clean base venv help view view-deps capture trace show

help:
	@echo "make up | down | test | unit | shell NODE=alice | logs | status | leases | view | bench | clean"
	@echo "a generated lab: make up SUBNETS=10 HOSTS=10 (then status, shell NODE=h3-7, down)"
	@echo "one benchmark:   make bench ONLY=lab"
	@echo "the wire:        make capture [NET=lan-a,lan-b] [SECONDS=10] [FILTER='tcp port 9090'] [OUT=dir]"
	@echo "                 make trace NODE=alice CMD='fetch files:hello.txt' [JSON=t.json] [SVG=t.svg] [DETAIL=N]"
	@echo "                 make show JSON=t.json [DETAIL=N]"

$(STAMP): pyproject.toml
	@echo "lanlab: creating the Python environment in $(VENV) (once)"
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

venv: $(STAMP)

base: $(STAMP)
	@$(LAB) base

up: $(STAMP)
	@$(LAB) up $(LABARGS)

down: $(STAMP)
	@$(LAB) down $(LABARGS)

# Unit tests need no Docker; lab tests use the running lab, or start one and remove it.
test: $(STAMP)
	@$(PY) -m pytest tests/unit tests/lab

unit: $(STAMP)
	@$(PY) -m pytest tests/unit

lab-test: $(STAMP)
	@$(PY) -m pytest tests/lab

shell: $(STAMP)
	@docker exec -it $$($(LAB) container $(NODE) $(LABARGS)) bash

logs: $(STAMP)
	@$(LAB) logs $(LABARGS)

status: $(STAMP)
	@$(LAB) status $(LABARGS)

leases: $(STAMP)
	@docker exec $$($(LAB) container dhcp $(LABARGS)) python3 -m lanlab.dhcp.leases

# The web view: `make view [PORT=8080] [HOST=127.0.0.1]` (lanlab/view, docs/view.md).
view: $(STAMP)
	@$(LAB) view $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST)) $(LABARGS)

# Host packages the view and its browser tests need (Debian): xterm.js, Chromium, chromedriver.
view-deps: $(STAMP)
	@$(LAB) view-deps

bench: $(STAMP)
	@$(PY) -m bench $(if $(ONLY),--only $(ONLY))

# The wire (lanlab/wire, docs/wire.md). N=1 or NAMES=0: addresses instead of names.
capture: $(STAMP)
	@$(LAB) capture $(LABARGS) --net=$(call quote,$(NET)) --seconds=$(call quote,$(SECONDS)) \
		--filter=$(call quote,$(value FILTER)) --out=$(call quote,$(OUT)) --limit=$(call quote,$(LIMIT)) \
		--numeric='$(NUMERIC)'

trace: $(STAMP)
	@$(LAB) trace $(LABARGS) --node=$(call quote,$(NODE)) --cmd=$(call quote,$(value CMD)) --net=$(call quote,$(NET)) \
		--json=$(call quote,$(JSON)) --svg=$(call quote,$(SVG)) --detail=$(call quote,$(DETAIL)) \
		--out=$(call quote,$(OUT)) --numeric='$(NUMERIC)' --all=$(call quote,$(ALL))

show: $(STAMP)
	@$(LAB) show --json=$(call quote,$(JSON)) --svg=$(call quote,$(SVG)) --detail=$(call quote,$(DETAIL)) \
		--numeric='$(NUMERIC)'

clean: $(STAMP)
	@$(LAB) clean
	@rm -rf .pytest_cache
