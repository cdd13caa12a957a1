# Node e2e harness. Variables follow upstream's `make test-e2e-node`.
#
#   make test-e2e-node FOCUS=Pods      # bring up a node here and run the suite
#   make test                          # unit tests, then a real node e2e run
#
SHELL := /usr/bin/env bash

OUT_DIR ?= _output/bin
FOCUS ?=
SKIP ?=
LABEL_FILTER ?=
PARALLELISM ?= 2
GINKGO_FLAGS ?=
TEST_ARGS ?=
ARTIFACTS ?= /tmp/_artifacts/$(shell date +%y%m%dT%H%M%S)
KUBELET_CONFIG_FILE ?=
CONTAINER_RUNTIME_ENDPOINT ?=

export OUT_DIR

.PHONY: all deps build test test-unit test-integration test-e2e-node clean

all: build

## deps: install the Debian packages a node needs (idempotent; root)
deps:
	hack/install-deps.sh

## build: build kubelet, ginkgo, pause, testimage and e2e_node.test into $(OUT_DIR)
build:
	hack/build.sh

## test-unit: unit tests (no root, no node)
test-unit:
	hack/test.sh unit

## test-integration: real node runs through e2e_node.test (root)
test-integration: deps build
	hack/test.sh integration

## test: everything CI runs: unit tests, then real node runs
test: deps build
	hack/test.sh all

## test-e2e-node: bring up a node on this machine and run the suite against it
test-e2e-node: deps build
	go run ./runner/local --build-dependencies=false --out-dir=$(OUT_DIR) \
		--focus='$(FOCUS)' --skip='$(SKIP)' --label-filter='$(LABEL_FILTER)' \
		--parallelism=$(PARALLELISM) --ginkgo-flags='$(GINKGO_FLAGS)' \
		-- --report-dir=$(ARTIFACTS) \
		$(if $(KUBELET_CONFIG_FILE),--kubelet-config-file=$(KUBELET_CONFIG_FILE)) \
		$(if $(CONTAINER_RUNTIME_ENDPOINT),--container-runtime-endpoint=$(CONTAINER_RUNTIME_ENDPOINT)) \
		$(TEST_ARGS)

clean:
	rm -rf _output
