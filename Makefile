# Entry points: `make test` (offline suite) and `make deploy` (site.yml on the default inventory).
SHELL := /bin/bash
# Debian packages the offline tests use: promtool and prometheus for the monitoring tests.
TEST_DEBS := prometheus
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: setup test deploy lint sanity unit molecule bench clean cluster-up cluster-down

## setup: virtualenv, Debian test packages, collection link (re-runnable)
setup:
	scripts/setup.sh $(TEST_DEBS)

## test: every offline check, in order, with a summary; STEPS="pytest molecule" picks some
test:
	SETUP_LAZY_BYTECODE=1 scripts/setup.sh $(TEST_DEBS)
	scripts/run-tests.sh $(STEPS)

## deploy: site.yml on the default inventory (local cluster); ARGS="-e ..." passes more
deploy:
	scripts/setup.sh
	ansible-playbook site.yml $(ARGS)

## cluster-up: a local Kubernetes 1.34 control plane (KWOK nodes, stand-ins for the pods); builds it once
cluster-up:
	scripts/setup.sh $(TEST_DEBS)
	scripts/local-cluster.sh up

## cluster-down: stop the local cluster and remove what cluster-up started (the build cache stays)
cluster-down:
	scripts/local-cluster.sh down

lint: setup
	scripts/run-tests.sh yamllint ansible-lint syntax

sanity: setup
	scripts/run-tests.sh sanity

unit: setup
	scripts/run-tests.sh pytest

## molecule: every scenario, or SCENARIO=name for one
molecule: setup
	MOLECULE_SCENARIOS="$(SCENARIO)" scripts/run-tests.sh molecule

## bench: locust's and traffic_split's throughput (measure, assert no times; not part of make test)
bench:
	scripts/setup.sh nginx wrk
	python benchmarks/locust_throughput.py
	python benchmarks/traffic_split.py

clean:
	rm -rf .venv collections .ansible tests/output .pytest_cache
