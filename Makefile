# lanlab: a small internet on one machine. `make up`, then `make test`.
# The targets are thin: the work is in lanlab/control (python -m lanlab.control).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LAB    := $(PY) -m lanlab.control
NODE   ?= alice

.PHONY: up down test unit lab-test shell logs status leases bench clean base venv help

help:
	@echo "make up | down | test | unit | shell NODE=alice | logs | status | leases | bench | clean"

$(STAMP): pyproject.toml
	@echo "lanlab: creating the Python environment in $(VENV) (once)"
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

venv: $(STAMP)

base: $(STAMP)
	@$(LAB) base

up: $(STAMP)
	@$(LAB) up

down: $(STAMP)
	@$(LAB) down

# Unit tests need no Docker; lab tests use the running lab, or start one and remove it.
test: $(STAMP)
	@$(PY) -m pytest tests/unit tests/lab

unit: $(STAMP)
	@$(PY) -m pytest tests/unit

lab-test: $(STAMP)
	@$(PY) -m pytest tests/lab

shell: $(STAMP)
	@docker exec -it $$($(LAB) container $(NODE)) bash

logs: $(STAMP)
	@$(LAB) logs

status: $(STAMP)
	@$(LAB) status

leases: $(STAMP)
	@docker exec $$($(LAB) container dhcp) python3 -m lanlab.dhcp.leases /var/lib/lanlab/dhcp

bench: $(STAMP)
	@$(PY) -m bench

clean: $(STAMP)
	@$(LAB) clean
	@rm -rf .pytest_cache
