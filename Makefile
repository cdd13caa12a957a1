# Node e2e harness. Variables follow upstream's `make test-e2e-node`.
#
#   make test-e2e-node FOCUS=Pods      # bring up a node here and run the suite
#   make test-e2e-node SYSTEMD=sandbox FOCUS=Pods
#                                      # the same, inside a real systemd booted
#                                      # in namespaces (kubelet via systemd-run)
#   make test-e2e-node REMOTE=true HOSTS=a=10.0.0.5 FOCUS=Pods
#                                      # run it on other machines (runner/remote/README.md)
#   make test-e2e-node REMOTE=true NODES=all REGISTRY=r.example:5000 KUBECONFIG=/path/to/kubeconfig DETACH=true
#                                      # run it as Jobs on a cluster's nodes
#   make verify                        # gofmt, vet, staticcheck, shellcheck, unit tests (-race)
#   make test                          # verify, then real node e2e runs
#   make bench ROUNDS=5                # the harness against envtest and upstream (bench/)
#
SHELL := /usr/bin/env bash

OUT_DIR ?= _output/bin
FOCUS ?=
SKIP ?=
LABEL_FILTER ?=
PARALLELISM ?= 8
GINKGO_FLAGS ?=
TEST_ARGS ?=
ARTIFACTS ?= /tmp/_artifacts/$(shell date +%y%m%dT%H%M%S)
KUBELET_CONFIG_FILE ?=
CONTAINER_RUNTIME_ENDPOINT ?=
# START_SERVICES=false runs the suite against a node the harness did not
# start, reached through KUBECONFIG (README: Bring your own kubelet).
# KUBECONFIG is read only then and in cluster mode (REMOTE=true with NODES
# or NODE_SELECTOR, below), so one exported for kubectl changes nothing else.
START_SERVICES ?=
KUBECONFIG ?=

# SYSTEMD=sandbox runs the local suite inside systemd-sandbox: Debian's
# systemd as PID 1 in private namespaces, so the kubelet is launched with
# systemd-run as on a systemd host, on a host without systemd too. The
# repository and $(ARTIFACTS) are shared with it. Empty: the host as it is.
SYSTEMD ?=

# REMOTE=true runs the suite on other machines through runner/remote: on
# SSH hosts (HOSTS) and/or on GCE VMs created for the run (IMAGES,
# IMAGE_CONFIG_FILE). Empty variables leave runner/remote's defaults.
REMOTE ?= false
HOSTS ?=
IMAGES ?=
IMAGE_PROJECT ?=
IMAGE_CONFIG_FILE ?=
IMAGE_CONFIG_DIR ?=
PROJECT ?=
ZONE ?=
GCE_ENDPOINT ?=
INSTANCE_PREFIX ?=
INSTANCE_TYPE ?=
INSTANCE_METADATA ?=
DELETE_INSTANCES ?= true
CLEANUP ?= true
INSTALL_DEPS ?= false
SSH_USER ?=
SSH_KEY ?=
SSH_OPTIONS ?=
TIMEOUT ?= 45m
# REMOTE=true with NODES (a,b or all) or NODE_SELECTOR runs the suite as
# Jobs on the nodes of the cluster KUBECONFIG (and CONTEXT) names, the
# suite image pushed to REGISTRY (runner/remote/README.md: Cluster mode).
# DETACH=true returns once the specs started, printing the run id.
NODES ?=
NODE_SELECTOR ?=
CONTEXT ?=
REGISTRY ?=
REGISTRY_CREDENTIALS_FILE ?=
API_SERVER ?=
REPLICAS_PER_NODE ?=
SYNC_TIMEOUT ?=
WORKLOAD ?=
TTL ?=
DETACH ?=

# The variables above are data: each reaches its program as it was given,
# never evaluated by make or a shell. Make would expand a $(...) in a
# value given on the command line or in the environment, and a recipe that
# pasted a value into its shell text would run whatever a quote in it
# closed; so each value is frozen here (an override simple variable holding
# the text as given) and handed to hack/test-e2e-node.sh through the
# environment, which passes it on as one argument. ARTIFACTS's default is
# the one expansion: once, so the date cannot change between two uses.
VARIABLES := OUT_DIR FOCUS SKIP LABEL_FILTER PARALLELISM GINKGO_FLAGS TEST_ARGS \
	ARTIFACTS KUBELET_CONFIG_FILE CONTAINER_RUNTIME_ENDPOINT START_SERVICES KUBECONFIG SYSTEMD REMOTE \
	HOSTS IMAGES IMAGE_PROJECT IMAGE_CONFIG_FILE IMAGE_CONFIG_DIR PROJECT ZONE \
	GCE_ENDPOINT INSTANCE_PREFIX INSTANCE_TYPE INSTANCE_METADATA DELETE_INSTANCES \
	CLEANUP INSTALL_DEPS SSH_USER SSH_KEY SSH_OPTIONS TIMEOUT \
	NODES NODE_SELECTOR CONTEXT REGISTRY REGISTRY_CREDENTIALS_FILE API_SERVER \
	REPLICAS_PER_NODE SYNC_TIMEOUT WORKLOAD TTL DETACH
ifeq ($(origin ARTIFACTS),file)
override ARTIFACTS := $(ARTIFACTS)
endif
# Make exports every variable given on its command line to every recipe,
# and would expand it to do so: those are frozen first, and stay exported.
$(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(eval override $(v) := $$(value $(v)))$(eval export $(v))))
$(foreach v,$(VARIABLES),$(eval override $(v) := $$(value $(v))))
# The defaults too, but only to test-e2e-node (and OUT_DIR to build).
$(foreach v,$(VARIABLES),$(eval test-e2e-node: export $(v) := $$($(v))))
export OUT_DIR

ifneq ($(filter-out sandbox,$(SYSTEMD)),)
$(error SYSTEMD=$(SYSTEMD): want SYSTEMD=sandbox (the suite inside systemd-sandbox) or no SYSTEMD (the host as it is))
endif
ifneq ($(filter-out true false,$(REMOTE)),)
$(error REMOTE=$(REMOTE): want REMOTE=true (the suite on other machines) or REMOTE=false (this machine))
endif

.PHONY: all deps deps-test build verify test test-unit test-integration test-e2e-node bench clean

all: build

## deps: install the Debian packages a node needs (idempotent; root)
deps:
	hack/install-deps.sh

## build: build kubelet, ginkgo, pause, testimage and e2e_node.test into $(OUT_DIR)
build:
	hack/build.sh

## test-unit: unit tests under -race (no root, no node)
test-unit:
	hack/test.sh unit

## test-integration: real node runs through e2e_node.test (root)
test-integration: deps build
	hack/test.sh integration

## deps-test: deps, and what the project's own tests need besides (chromium, shellcheck)
deps-test:
	hack/install-deps.sh --for-tests

## verify: gofmt, go vet, staticcheck, shellcheck, unit tests under -race (hack/verify.sh)
verify:
	hack/verify.sh

## test: everything CI runs: verify (with the unit tests), then real node runs
test: deps-test build
	hack/test.sh all

## test-e2e-node: run the suite: here (a node on this machine), in systemd-sandbox
## (SYSTEMD=sandbox) or on SSH hosts and GCE VMs (REMOTE=true, artifacts in $(ARTIFACTS)/<host>)
ifeq ($(REMOTE),true)
test-e2e-node: build
else
test-e2e-node: deps build
endif
	hack/test-e2e-node.sh

## bench: the harness against envtest and upstream's services mode, ROUNDS rounds
## (default 5) interleaved; SUITE=true adds the full suite at PARALLELISM 1, 2, 4, 8
ROUNDS ?= 5
SUITE ?= false
bench: export ROUNDS := $(ROUNDS)
bench: export SUITE := $(SUITE)
bench: deps
	bench/bench.sh

clean:
	rm -rf _output
