# nodenet: `make demo` and `make test` are all a fresh Debian machine needs
# (as root). Targets that need root say so and fail without it.

GO      ?= go
VERSION ?= $(shell git describe --tags --match 'v*' --dirty 2>/dev/null || echo v0.0.0-dev)
LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(VERSION)
BIN     := $(CURDIR)/bin/nodenet
# The e2e suites test this binary instead of building their own.
E2E_ENV := NODENET_BIN=$(BIN)

.PHONY: all build image test unit fuzz e2e e2e-image e2e-ipvs e2e-cluster bench bench-ipvs bench-compare demo lint deps clean clean-netns need-root

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/nodenet

test: unit fuzz e2e e2e-image e2e-ipvs e2e-cluster

# The container image of bin/nodenet (/nodenet, the entrypoint) on a layer
# of the programs the backends exec (iptables, ip6tables, their -save and
# -restore, ipset, nft, conntrack: this machine's Debian packages, unpacked
# by hack/image/tools-rootfs.sh into $(IMAGE_CACHE)), written as a tarball
# for docker/podman load or ctr import, without a daemon, by hack/image (a
# module of its own: go-containerregistry stays out of the product's go.mod).
IMAGE       ?= $(CURDIR)/bin/nodenet-image.tar
IMAGE_TAG   ?= nodenet:$(VERSION)
IMAGE_CACHE ?= /var/cache/nodenet-image
image: build
	cd hack/image && $(GO) run . -binary $(BIN) -rootfs "$$(./tools-rootfs.sh $(IMAGE_CACHE))" -o $(IMAGE) -tag '$(subst +,-,$(IMAGE_TAG))'

# Unit tests: no root, no namespaces, no kernel.
unit:
	$(GO) test ./...

# Bounded fuzzing of what runtimes and users hand us (CNI configs).
# A count, not a duration: Go 1.26's coordinator can report its own
# -fuzztime deadline as a failure ("context deadline exceeded", no crasher;
# golang/go#75804, fixed in Go 1.27). 300k execs take ~10 s on 2 cores.
FUZZTIME ?= 300000x
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseConfig -fuzztime $(FUZZTIME) ./cni/

# End-to-end suites in throwaway network namespaces (nnt-*): root only.
# E2E_SKIP is a `go test -skip` regexp, e.g. for known gaps (see .ci/run).
E2E_SKIP ?=
# test/vm boots a VM and has a target of its own, so that it never runs
# beside the other suites on a 2-core machine.
# The Service suite (test/e2e) then runs again with --proxy-mode nftables.
e2e: need-root deps build
	$(E2E_ENV) $(GO) test -tags e2e -count=1 -timeout 30m $(if $(E2E_SKIP),-skip '$(E2E_SKIP)') \
		$$($(GO) list -tags e2e ./test/... | grep -v '/test/vm')
	$(E2E_ENV) NODENET_PROXY_MODE=nftables $(GO) test -tags e2e -count=1 -timeout 30m $(if $(E2E_SKIP),-skip '$(E2E_SKIP)') ./test/e2e/

# make image's builder: its image unpacked, its entrypoint and tools run in
# an nnt- namespace (chroot). Root.
e2e-image: need-root deps build
	cd hack/image && $(E2E_ENV) NODENET_IMAGE_CACHE=$(IMAGE_CACHE) $(GO) test -tags e2e -count=1 ./...

# The IPVS suites, inside a qemu VM booting Debian's stock kernel (this
# kernel has no IPVS): packages and the base image are cached in
# $(VM_CACHE); each guest test is a subtest of TestVM. Root, qemu.
VM_CACHE ?= /var/cache/nodenet-vm
e2e-ipvs: need-root deps build
	NODENET_VM_CACHE=$(VM_CACHE) $(E2E_ENV) $(GO) test -tags e2e -count=1 -timeout 25m -v ./test/vm/

# Sync benchmarks of the ipvs and iptables backends inside the VM (figures
# on an emulated CPU: compare the two, not with real hardware).
bench-ipvs: need-root deps build
	NNT_VM_BENCH=SyncInVM NODENET_VM_CACHE=$(VM_CACHE) $(E2E_ENV) $(GO) test -tags e2e -count=1 -timeout 40m -v -run TestVM ./test/vm/

# Suites against a real etcd + kube-apiserver (test/cluster, a Go module of
# its own so the product's go.mod never depends on k8s.io/kubernetes): root
# only. The first run on a machine builds the control plane (~12 minutes on
# two cores) into /var/cache/nodenet-cluster; later runs reuse it.
e2e-cluster: need-root deps build
	cd test/cluster && $(E2E_ENV) $(GO) test -tags e2e -count=1 -timeout 60m $(if $(E2E_SKIP),-skip '$(E2E_SKIP)') ./...

# The benchmarks live in test/bench, test/firewall, netpol and test/cni
# (they report, not gate; the CNI ones take 40 rounds for stable percentiles).
bench: need-root deps build
	$(E2E_ENV) $(GO) test -tags e2e -run '^$$' -bench . -benchtime 1x ./test/bench/...
	$(GO) test -tags e2e -run '^$$' -bench . -benchtime 1x ./test/firewall/
	$(E2E_ENV) $(GO) test -tags e2e -run '^$$' -bench . -benchtime 40x ./test/cni/
	$(GO) test -run '^$$' -bench Compute -benchmem ./netpol/

# Upstream kube-proxy (iptables, nftables) and nodenet side by side on the
# same Services through a real API server (test/cluster); prints one table.
# BENCH_SERVICES: comma-separated sizes (the issue's are 1000,10000).
BENCH_SERVICES ?= 1000
bench-compare: need-root deps build
	cd test/cluster && $(E2E_ENV) NNT_BENCH_SERVICES=$(BENCH_SERVICES) $(GO) test -tags e2e -count=1 -timeout 120m -run '^$$' -bench CompareKubeProxy -benchtime 1x ./e2e/

demo: need-root deps
	./hack/demo.sh

lint:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	cd test/cluster && $(GO) vet -tags e2e ./...
	cd hack/image && $(GO) vet -tags e2e ./...

deps:
	./hack/deps.sh

need-root:
	@[ "$$(id -u)" = 0 ] || { echo "this target needs root (network namespaces, iptables): sudo make $(MAKECMDGOALS)"; exit 1; }

clean:
	rm -rf bin

# Remove namespaces left by an interrupted e2e run or demo (never others').
clean-netns: need-root
	./hack/clean-netns.sh
