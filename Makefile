# lanlab: a small internet on one machine. `make up`, then `make test`.
# The targets are thin: the work is in lanlab/control (python -m lanlab.control).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CONTROL := $(PY) -m lanlab.control
NODE   ?= alice
# A generated lab: `make up SUBNETS=10 HOSTS=10 [BASE=10.100]` (lanlab/topology.py).
# Your own lab: `make up LAB=labs/mylab.yaml` (docs/labs.md).
LABARGS := $(if $(SUBNETS),--subnets $(SUBNETS)) $(if $(HOSTS),--hosts $(HOSTS)) $(if $(BASE),--base $(BASE)) $(if $(LAB),--lab $(LAB))
ONLY   ?=
# make capture / trace / show: quote what make passes (a FILTER or CMD may hold spaces).
quote   = '$(subst ','\'',$(1))'
NUMERIC = $(if $(filter 1,$(N)),1,$(if $(filter 0,$(NAMES)),1,))

.PHONY: python-env early-base up down test unit lab-test shell logs status leases link view view-deps check grade bench clean base venv help capture trace show

help:
	@echo "make up | down | test | unit | shell NODE=alice | logs | status | leases | view | bench | clean"
	@echo "a generated lab: make up SUBNETS=10 HOSTS=10 (then status, shell NODE=h3-7, down)"
	@echo "one benchmark:   make bench ONLY=lab"
	@echo "link conditions: make link NET=lan-b DELAY=50ms LOSS=5% RATE=10mbit [NODE=carol] | CLEAR=1 | DOWN=1 | UP=1 | HUB=1 | HUB=0"
	@echo "the wire:        make capture [NET=lan-a,lan-b] [SECONDS=10] [FILTER='tcp port 9090'] [OUT=dir]"
	@echo "                 make trace NODE=alice CMD='fetch files:hello.txt' [JSON=t.json] [SVG=t.svg] [DETAIL=N]"
	@echo "                 make trace ... CALLS=1 [SERVER=files:9090]   (the socket calls beside the frames)"
	@echo "                 make show JSON=t.json [DETAIL=N]"
	@echo "lessons:         make check LESSON=udp [WORK=dir] | make grade DIR=submissions [LESSONS=udp,tcp]"

# On a fresh machine the two long steps of `make up` go side by side: the Python environment
# and the base image (lanlab/control/base.py needs only the standard library). `make test`
# starts a lab when none runs, so it does the same.
EARLY_BASE := $(if $(filter up test base,$(MAKECMDGOALS)),early-base)

$(STAMP): pyproject.toml
	@echo "lanlab: creating the Python environment in $(VENV) (once)"
	@$(MAKE) --no-print-directory -j2 python-env $(EARLY_BASE)
	@touch $@

# pyproject.toml's dependencies and test extras, and the project itself by a .pth path
# (what an editable install amounts to, without building a wheel).
DEPENDENCIES = import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
               print(*p["dependencies"], *p["optional-dependencies"]["test"], sep="\n")
python-env:
	@$(PYTHON) -m venv $(VENV)
	@$(PYTHON) -c '$(DEPENDENCIES)' | $(VENV)/bin/pip install --quiet --disable-pip-version-check -r /dev/stdin
	@echo "$(CURDIR)" > "$$($(VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/lanlab.pth"

early-base:
	@$(PYTHON) -m lanlab.control.base

venv: $(STAMP)

base: $(STAMP)
	@$(CONTROL) base

up: $(STAMP)
	@$(CONTROL) up $(LABARGS)

down: $(STAMP)
	@$(CONTROL) down $(LABARGS)

# Unit tests need no Docker; lab tests use the running lab, or start one and remove it.
# Two workers: the lab tests one after another in one, the rest beside them (tests/conftest.py).
test: $(STAMP)
	@$(PY) -m pytest -n 2 tests/unit tests/lab

unit: $(STAMP)
	@$(PY) -m pytest tests/unit

lab-test: $(STAMP)
	@$(PY) -m pytest tests/lab

shell: $(STAMP)
	@docker exec -it $$($(CONTROL) container $(NODE) $(LABARGS)) bash

logs: $(STAMP)
	@$(CONTROL) logs $(LABARGS)

status: $(STAMP)
	@$(CONTROL) status $(LABARGS)

leases: $(STAMP)
	@docker exec $$($(CONTROL) container dhcp $(LABARGS)) python3 -m lanlab.dhcp.leases

# A network's conditions, live (lanlab/control/links.py); `make link` alone prints them all.
# NODE has a default for `make shell`; here it counts only when given.
LINKARGS := $(if $(NET),--net '$(NET)') $(if $(filter-out file,$(origin NODE)),--node '$(NODE)') \
            $(if $(DELAY),--delay '$(DELAY)') $(if $(LOSS),--loss '$(LOSS)') $(if $(RATE),--rate '$(RATE)') \
            $(if $(HUB),--hub '$(HUB)') $(if $(filter 1,$(CLEAR)),--clear) \
            $(if $(filter 1,$(DOWN)),--down) $(if $(filter 1,$(UP)),--up)
link: $(STAMP)
	@$(CONTROL) link $(LINKARGS) $(LABARGS)

# The web view: `make view [PORT=8080] [HOST=127.0.0.1]` (lanlab/view, docs/view.md).
view: $(STAMP)
	@$(CONTROL) view $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST)) $(LABARGS)

# Host packages the view and its browser tests need (Debian): xterm.js, Chromium, chromedriver.
view-deps: $(STAMP)
	@$(CONTROL) view-deps

# A learner's programs in the lab (docs/lessons/): one lesson, or a class of workspaces.
check: $(STAMP)
	@$(CONTROL) check $(LESSON) $(WORK) $(LABARGS)

grade: $(STAMP)
	@$(CONTROL) grade $(DIR) $(LESSONS) $(LABARGS)

bench: $(STAMP)
	@$(PY) -m bench $(if $(ONLY),--only $(ONLY))

# The wire (lanlab/wire, docs/wire.md). N=1 or NAMES=0: addresses instead of names.
capture: $(STAMP)
	@$(CONTROL) capture $(LABARGS) --net=$(call quote,$(NET)) --seconds=$(call quote,$(SECONDS)) \
		--filter=$(call quote,$(value FILTER)) --out=$(call quote,$(OUT)) --limit=$(call quote,$(LIMIT)) \
		--numeric='$(NUMERIC)'

trace: $(STAMP)
	@$(CONTROL) trace $(LABARGS) --node=$(call quote,$(NODE)) --cmd=$(call quote,$(value CMD)) --net=$(call quote,$(NET)) \
		--json=$(call quote,$(JSON)) --svg=$(call quote,$(SVG)) --detail=$(call quote,$(DETAIL)) \
		--out=$(call quote,$(OUT)) --numeric='$(NUMERIC)' --all=$(call quote,$(ALL)) \
		--calls=$(call quote,$(CALLS)) --server=$(call quote,$(SERVER))

show: $(STAMP)
	@$(CONTROL) show --json=$(call quote,$(JSON)) --svg=$(call quote,$(SVG)) --detail=$(call quote,$(DETAIL)) \
		--numeric='$(NUMERIC)'

clean: $(STAMP)
	@$(CONTROL) clean
	@rm -rf .pytest_cache
