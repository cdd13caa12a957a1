# Node e2e harness. Variables follow upstream's `make test-e2e-node`.
#
#   make test-e2e-node FOCUS=Pods      # bring up a node here and run the suite
#   make test-e2e-node SYSTEMD=sandbox FOCUS=Pods
#                                      # the same, inside a real systemd booted
#                                      # in namespaces (kubelet via systemd-run)
#   make test-e2e-node REMOTE=true HOSTS=a=10.0.0.5 FOCUS=Pods
#                                      # run it on other machines (runner/remote/README.md)
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
# Expand once: the date must not change between two uses.
override ARTIFACTS := $(ARTIFACTS)
KUBELET_CONFIG_FILE ?=
CONTAINER_RUNTIME_ENDPOINT ?=

# SYSTEMD=sandbox runs the local suite inside systemd-sandbox: Debian's
# systemd as PID 1 in private namespaces, so the kubelet is launched with
# systemd-run as on a systemd host, on a host without systemd too. The
# repository and $(ARTIFACTS) are shared with it. Empty: the host as it is.
SYSTEMD ?=
ifneq ($(filter-out sandbox,$(SYSTEMD)),)
$(error SYSTEMD=$(SYSTEMD): want SYSTEMD=sandbox (the suite inside systemd-sandbox) or no SYSTEMD (the host as it is))
endif

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

ifeq ($(REMOTE),true)
## test-e2e-node: (REMOTE=true) run the suite on SSH hosts or GCE VMs; artifacts in $(ARTIFACTS)/<host>
test-e2e-node: build
	go run ./runner/remote --bin-dir=$(OUT_DIR) --results-dir=$(ARTIFACTS) \
		--focus='$(FOCUS)' --skip='$(SKIP)' --label-filter='$(LABEL_FILTER)' \
		--parallelism=$(PARALLELISM) --ginkgo-flags='$(GINKGO_FLAGS)' --test-args='$(TEST_ARGS)' \
		--test-timeout=$(TIMEOUT) --install-deps=$(INSTALL_DEPS) --cleanup=$(CLEANUP) \
		--delete-instances=$(DELETE_INSTANCES) \
		$(if $(HOSTS),--hosts='$(HOSTS)') \
		$(if $(IMAGES),--images='$(IMAGES)') \
		$(if $(IMAGE_PROJECT),--image-project='$(IMAGE_PROJECT)') \
		$(if $(IMAGE_CONFIG_FILE),--image-config-file='$(IMAGE_CONFIG_FILE)') \
		$(if $(IMAGE_CONFIG_DIR),--image-config-dir='$(IMAGE_CONFIG_DIR)') \
		$(if $(PROJECT),--project='$(PROJECT)') \
		$(if $(ZONE),--zone='$(ZONE)') \
		$(if $(GCE_ENDPOINT),--gce-endpoint='$(GCE_ENDPOINT)') \
		$(if $(INSTANCE_PREFIX),--instance-name-prefix='$(INSTANCE_PREFIX)') \
		$(if $(INSTANCE_TYPE),--instance-type='$(INSTANCE_TYPE)') \
		$(if $(INSTANCE_METADATA),--instance-metadata='$(INSTANCE_METADATA)') \
		$(if $(SSH_USER),--ssh-user='$(SSH_USER)') \
		$(if $(SSH_KEY),--ssh-key='$(SSH_KEY)') \
		$(if $(SSH_OPTIONS),--ssh-options='$(SSH_OPTIONS)') \
		$(if $(KUBELET_CONFIG_FILE),--kubelet-config-file=$(KUBELET_CONFIG_FILE)) \
		$(if $(CONTAINER_RUNTIME_ENDPOINT),-- --container-runtime-endpoint=$(CONTAINER_RUNTIME_ENDPOINT))
else
ifeq ($(SYSTEMD),sandbox)
LOCAL_RUNNER = hack/build.sh runner-local && mkdir -p $(ARTIFACTS) && \
	$(OUT_DIR)/systemd-sandbox run --bind $(CURDIR) --bind $(abspath $(ARTIFACTS)) -- \
	$(abspath $(OUT_DIR))/runner-local --out-dir=$(abspath $(OUT_DIR))
else
LOCAL_RUNNER = go run ./runner/local --out-dir=$(OUT_DIR)
endif
## test-e2e-node: bring up a node on this machine and run the suite against it
test-e2e-node: deps build
	$(LOCAL_RUNNER) --build-dependencies=false \
		--focus='$(FOCUS)' --skip='$(SKIP)' --label-filter='$(LABEL_FILTER)' \
		--parallelism=$(PARALLELISM) --ginkgo-flags='$(GINKGO_FLAGS)' \
		-- --report-dir=$(abspath $(ARTIFACTS)) \
		$(if $(KUBELET_CONFIG_FILE),--kubelet-config-file=$(KUBELET_CONFIG_FILE)) \
		$(if $(CONTAINER_RUNTIME_ENDPOINT),--container-runtime-endpoint=$(CONTAINER_RUNTIME_ENDPOINT)) \
		$(TEST_ARGS)
endif

clean:
	rm -rf _output
