# uipsec: `make demo` shows it working, `make test` runs everything CI runs.
# Both install missing Debian packages first (scripts/deps.sh).

MAKEFLAGS  += --no-print-directory

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
RELEASE_BUILD ?= build-release
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 12
# make fuzz-long: every target for FUZZ_LONG_RUNS executions or
# FUZZ_LONG_SECONDS, whichever comes first.
FUZZ_LONG_RUNS ?= 10000000
FUZZ_LONG_SECONDS ?= 3600
VECTORS    ?= $(abspath ../shared/vectors)
# Warnings are errors in the project's own builds (a packager's plain cmake
# build leaves UIPSEC_WERROR off).
CMAKE_FLAGS = -DUIPSEC_VECTORS=$(VECTORS) -DUIPSEC_WERROR=ON

.PHONY: all deps build asan tsan release fuzz-build demo demo-certs demo-engine test test-unit test-asan test-tsan test-release test-fuzz fuzz-long bench bench-tunnel format clean install scenarios scenarios-quick

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DUIPSEC_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# ThreadSanitizer, for what runs on several threads: the engine's SAs
# shared between threads (test_sa_threads) and the handoff queue.
tsan: deps
	@cmake -S . -B $(TSAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DUIPSEC_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS) --target test_sa_threads test_handoff

# The packagers' build type (-O3), with warnings as errors.
release: deps
	@cmake -S . -B $(RELEASE_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(RELEASE_BUILD) -j$(JOBS)

fuzz-build: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) $(CMAKE_FLAGS) -DUIPSEC_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

# A real tunnel between two network namespaces (needs root: said first,
# before anything is installed or built).
demo:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "make demo needs root: it creates network namespaces, a veth pair and TUN devices." >&2; \
		echo "Run it as root (e.g. sudo make demo), or try make demo-engine." >&2; exit 1; fi
	@$(MAKE) build
	@BUILD=$(abspath $(BUILD)) bash tests/netns/demo.sh

# The same tunnel authenticated with X.509 certificates made on the spot.
demo-certs:
	@if [ "$$(id -u)" != 0 ]; then echo "make demo-certs needs root, as make demo." >&2; exit 1; fi
	@$(MAKE) build
	@BUILD=$(abspath $(BUILD)) bash tests/netns/demo.sh certs

# The packet engine alone on a sample packet for every suite (no root needed).
demo-engine: build
	@$(BUILD)/src/demo/uipsec-demo

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure

# Under the sanitizers the live tunnel matrix, the strongSwan interop
# suites but VICI's, the scapy cross-check, strongSwan's scenarios, the
# offload transfers and the uipsecctl checks are left out (the same code
# paths run in netns_hostile, netns_daemon, netns_ike, netns_certs,
# interop_vici, the engine's unit and vector tests and the fuzzers of the
# coalescers and the control requests), to keep the run short.
test-asan: asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -E 'netns_tunnels|interop_strongswan|scapy_crosscheck|scenarios_subset|netns_offload|ctl_uipsecctl'

# The Release build: it builds warning-free at -O3, its binaries are
# hardened (PIE, full RELRO, BIND_NOW, stack protector, _FORTIFY_SOURCE),
# and the tests that need no root pass at -O3 too.
test-release: release
	@cd $(RELEASE_BUILD) && ctest --output-on-failure -E 'netns_|interop_'

test-tsan: tsan
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R 'test_sa_threads|test_handoff'

test-fuzz: fuzz-build
	@UIPSEC_VECTORS=$(VECTORS) sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every fuzz target for FUZZ_LONG_RUNS executions (10 million) or
# FUZZ_LONG_SECONDS (an hour) each, whichever comes first; the counts are
# in $(FUZZ_BUILD)/fuzz-work/*.log.
fuzz-long: fuzz-build
	@UIPSEC_VECTORS=$(VECTORS) sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_LONG_SECONDS) $(FUZZ_LONG_RUNS)

# The whole suite: unit, vector and cross-check tests, again under
# ASan+UBSan, the threaded ones under TSan, the Release build, then every
# fuzz target.
test: test-unit test-asan test-tsan test-release test-fuzz
	@echo "make test: all suites passed"

# strongSwan's own test scenarios in namespaces (tests/scenarios/run):
# every scenario with uipsecd on the gateways, or with strongSwan's
# charon there as the control (SCENARIOS_GATEWAY=strongswan); one line per
# scenario.  scenarios-quick: the subset ctest runs (scenarios_subset).
SCENARIOS_GATEWAY ?= uipsecd
SCENARIOS_JOBS ?= 4
scenarios: build
	flock /tmp/uipsec-netns.lock /usr/bin/python3 tests/scenarios/run -j $(SCENARIOS_JOBS) \
		--gateway $(SCENARIOS_GATEWAY) --uipsecd $(BUILD)/src/daemon/uipsecd
scenarios-quick: build
	flock /tmp/uipsec-netns.lock env BUILD=$(abspath $(BUILD)) GATEWAY=$(SCENARIOS_GATEWAY) \
		bash tests/scenarios/subset.sh

bench: build
	@$(BUILD)/bench/uipsec-bench
	@$(BUILD)/bench/spd-bench
	@$(BUILD)/bench/sa-bench

# Tunnel throughput: uipsecd against the plain veth, wireguard-go and strongSwan
# (root; about 1.5 min).  Options through TUNNEL_ARGS, e.g. TUNNEL_ARGS="--quick".
bench-tunnel: build
	@BUILD=$(abspath $(BUILD)) bash bench/tunnel.sh $(TUNNEL_ARGS)

# 1000 IKE tunnels at once between two uipsecd with the default admission
# limits, amid a flood that fills the responder's half-open table (root;
# about 30 s); make test runs 200 (netns_scale).
.PHONY: scale
scale: build
	@BUILD=$(abspath $(BUILD)) N=1000 FLOOD=1 bash tests/netns/test_scale.sh

install: build
	@cmake --install $(BUILD)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(RELEASE_BUILD) $(FUZZ_BUILD)
