# ragged plugin sandbox — top-level build.
#
#   make deps       install Debian packages + fetch vmtest kernels (idempotent)
#   make deps-build only the packages building and running the agent need
#   make            the product: BPF objects, skeletons, raggedd, raggedctl
#   make test-bins  what the tests run: test plugins, unit-test binaries
#   make test       builds both, then unit, docs, fuzz, integration, bench-smoke, coverage,
#                   vmtest, vmtest-systemd (the installed unit under systemd as PID 1)
#   make bench      every benchmark, ending with one table (docs/PERFORMANCE.md)
#   make vmbench    the enforcement, outside and start benches in each vmtest guest, one table per kernel
#   make coverage   per-file line coverage of the security modules
#   make demo       start raggedd, run the example plugin, print its audit records

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
BUILD    ?= build
# One spelling of the build dir: the -MMD dependency files name their targets
# as the compiler saw them, so a build with BUILD=build after one with
# BUILD=$(abspath build) would otherwise never see header changes.
BUILD_GIVEN := $(BUILD)
override BUILD := $(abspath $(BUILD))
ARCH     := x86

# Truncated error text is acceptable; paths go through xsnprintf(), which fails on truncation.
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent/common -I$(BUILD)
# Header dependencies come from the compiler (-MMD -MP, the .d files below).
DEPFLAGS := -MMD -MP
# Each binary links what it uses: the agent and client code go through
# archives (only the members a binary needs are pulled in) and --as-needed
# drops a library no pulled member calls.
LDFLAGS  += -Wl,--as-needed
# The plugin validator's Unicode data (Python identifiers, agent/common/validate/pyident.c)
# is in both binaries: the agent vets at install and run, the client validates.
VALIDATOR_LIBS := -lutf8proc
LDLIBS_DAEMON := -lbpf -lelf -lz -lcjson -lseccomp -lcrypto -lsystemd $(VALIDATOR_LIBS)
RAGGED_VERSION := $(shell cat VERSION)
CFLAGS   += -DRAGGED_VERSION='"$(RAGGED_VERSION)"'
# No -lcrypto: the client hashes with Nettle (agent/ctl/sha256_nettle.c). It
# loads Nettle and utf8proc at their first use (validate, install), libcurl
# and libzip only for `advisories update` (agent/ctl/dl.c): starting the
# client for a run maps and relocates libc and cJSON alone.
LDLIBS_CTL    := -lcjson -lelf
soname_of = $(or $(shell objdump -p $$($(CC) -print-file-name=$(1).so) 2>/dev/null | \
	awk '/SONAME/ {print $$2}'),$(1).so)
$(BUILD)/obj/agent/ctl/cmd_advisories.o: CFLAGS += \
	-DRAGGED_CURL_SONAME='"$(call soname_of,libcurl)"' -DRAGGED_ZIP_SONAME='"$(call soname_of,libzip)"'
$(BUILD)/obj/agent/ctl/sha256_nettle.o $(BUILD)/tests/test_sha256: CFLAGS += \
	-DRAGGED_NETTLE_SONAME='"$(call soname_of,libnettle)"'
$(BUILD)/obj/agent/ctl/utf8proc_dl.o: CFLAGS += \
	-DRAGGED_UTF8PROC_SONAME='"$(call soname_of,libutf8proc)"'
LDLIBS        := $(LDLIBS_DAEMON)
ifeq ($(COVERAGE),1)
CFLAGS   += --coverage -O0 -DRAGGED_COVERAGE
LDFLAGS  += --coverage
endif
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

# agent/common/ is one folder per subsystem (audit, config, proto, util,
# validate), each with one public header named after the folder.
COMMON_SRCS := $(wildcard agent/common/*/*.c)
DAEMON_SRCS := $(filter-out agent/daemon/raggedd.c,$(wildcard agent/daemon/*.c))
CTL_SRCS    := $(filter-out agent/ctl/raggedctl.c,$(wildcard agent/ctl/*.c))
BPF_SRCS    := $(wildcard bpf/*.bpf.c)
PLUGIN_SRCS := $(wildcard tests/plugins/*.c)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)

COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)
CTL_OBJS    := $(CTL_SRCS:%.c=$(BUILD)/obj/%.o)
BPF_OBJS    := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
SKELS       := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.skel.h)
PLUGINS     := $(PLUGIN_SRCS:tests/plugins/%.c=$(BUILD)/plugins/%)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all test-bins deps deps-build test test-unit test-native coverage demo fuzz bench clean
all: $(BUILD)/raggedd $(BUILD)/raggedctl
test-bins: $(PLUGINS) $(UNIT_BINS) $(BUILD)/bench/bpfstats
# A target named with the build dir as given (make build/raggedd, make
# BUILD=build-cov build-cov/raggedd) is the same file as its absolute name.
ifneq ($(BUILD_GIVEN),$(BUILD))
$(BUILD_GIVEN)/%: $(BUILD)/% ;
endif

# Intermediates are products too (skeletons are read by people, objects by
# bpftool and vmtest): never deleted after a build.
.SECONDARY:

deps:
	./tools/deps.sh
# Only what building and running the agent need (no test, coverage or VM packages).
deps-build:
	./tools/deps.sh --build

# vmlinux.h comes from the build machine's own BTF (see docs/build.md): the
# programs are CO-RE, so one object built against it relocates onto every
# kernel of the vmtest matrix; vmtest proves that on each build.
$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror $(DEPFLAGS) \
		-Iinclude -I$(BUILD) -Ibpf -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# The skeletons exist before the first compile (order-only); after that the
# .d files say which object includes which skeleton and header.
$(BUILD)/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The one version source (VERSION) is compiled into both binaries.
$(BUILD)/obj/agent/daemon/raggedd.o $(BUILD)/obj/agent/ctl/raggedctl.o: VERSION

$(BUILD)/libcommon.a: $(COMMON_OBJS)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libdaemon.a: $(DAEMON_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/raggedd: $(BUILD)/obj/agent/daemon/raggedd.o $(BUILD)/libdaemon.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS_DAEMON)

$(BUILD)/raggedctl: $(BUILD)/obj/agent/ctl/raggedctl.o $(CTL_OBJS) $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS_CTL)

# Test plugins are real programs run inside the sandbox: plain C, no agent code.
$(BUILD)/plugins/%: tests/plugins/%.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@ -lpthread

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdaemon.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) $< -Wl,--start-group $(BUILD)/libdaemon.a \
		$(BUILD)/libcommon.a -Wl,--end-group -o $@ $(LDLIBS_DAEMON) -lcmocka

# libFuzzer targets: clang, ASan + UBSan, common parsers only.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent/common
$(BUILD)/fuzz/%: tests/fuzz/%.c $(COMMON_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $^ -o $@ -lcjson -lcrypto -lelf $(VALIDATOR_LIBS)

# Then the stateful agent fuzzer (tests/fuzz/agentfuzz.py, needs root) against
# a live agent of this build, AGENT_FUZZ_SECONDS long (AGENT_FUZZ_SEED to
# repeat a run; the counts of what it drove every minute). The long run:
#   make fuzz SANITIZE=1 BUILD=build-san AGENT_FUZZ_SECONDS=3600
fuzz: $(FUZZ_BINS) all $(PLUGINS)
	./tests/fuzz/run.sh $(BUILD)/fuzz $${FUZZ_SECONDS:-30}
	RAGGED_BUILD=$(abspath $(BUILD)) RAGGED_TESTS=t_robust_fuzz \
		RAGGED_FUZZ_SECONDS=$${AGENT_FUZZ_SECONDS:-300} RAGGED_FUZZ_SEED=$${AGENT_FUZZ_SEED:-} \
		RAGGED_FUZZ_REPORT=60 ./tests/integration/run.sh

test-unit: test-bins
	./tests/unit/run.sh $(BUILD)/tests

test-native: all test-bins
	./tests/integration/run.sh

test: all test-bins $(FUZZ_BINS)
	./tests/run-all.sh

coverage:
	./tools/coverage.sh

demo: all $(BUILD)/plugins/probe
	./tools/demo.sh

# Every bench, then one table of their BENCH lines (metric, target, ratio,
# holds/missed): tools/bench/all.sh; the lines' format is in docs/PERFORMANCE.md.
bench: all test-bins
	./tools/bench/all.sh --log $(BUILD)/bench/bench.log

# Enforcement bench (tools/bench/enforce.sh): empty programs on the ragged
# hooks and the stats/attach helper, in build/bench/ (shipped to vmtest);
# the syscall loop of tools/bench/outside.sh, which the guests run too.
ENFORCE_BENCH := $(BUILD)/bench/empty.bpf.o $(BUILD)/bench/bpfstats $(BUILD)/plugins/loopbench \
	$(BUILD)/bench/syscallloop
bench test: $(ENFORCE_BENCH)
$(BUILD)/bench/empty.bpf.o: tools/bench/empty.bpf.c include/ragged/policy.h $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD) -Iinclude -c $< -o $@
# The start bench's harness (tools/bench/run.sh): its method F calls the
# agent's own start steps (tools/bench/startfloor.c), so it links the agent's code.
$(BUILD)/bench/startbench: tools/bench/startbench.c tools/bench/startfloor.c tools/bench/startfloor.h \
		$(BUILD)/libdaemon.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iagent/daemon $(LDFLAGS) tools/bench/startbench.c tools/bench/startfloor.c \
		-Wl,--start-group $(BUILD)/libdaemon.a $(BUILD)/libcommon.a -Wl,--end-group \
		-o $@ $(LDLIBS_DAEMON)
# The start bench's plugin: a static program that prints the time of its first
# instruction (built here too, so a guest without a compiler can run the bench).
$(BUILD)/bench/firstinsn: tools/bench/firstinsn.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -static $< -o $@
# The same program linked dynamically: the start bench's method E, what any
# dynamically linked client costs to start.
$(BUILD)/bench/firstinsn-dynamic: tools/bench/firstinsn.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) $< -o $@
$(BUILD)/bench/bpfstats: tools/bench/bpfstats.c include/ragged/policy.h $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent/common $< $(BUILD)/libcommon.a \
		-o $@ -lbpf -lelf -lz
$(BUILD)/bench/syscallloop: tools/bench/syscallloop.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -std=gnu11 -D_GNU_SOURCE $< -o $@
VMBENCH_TIMEOUT ?= 1800
.PHONY: bench-enforce vmbench
bench-enforce: all test-bins $(ENFORCE_BENCH)
	./tools/bench/enforce.sh
# The same benches inside the vmtest guests (bpf-lsm mode), instead of the suite;
# e.g. make vmbench KERNELS="6.1 7.3" VMBENCH_ENV=R=10,S=3 (results: console log).
# The start bench's harness and plugin are built here; bwrap (its method B)
# is copied into the guest with its libraries.
vmbench: vmtest-kernels all test-bins $(ENFORCE_BENCH) $(BUILD)/bench/startbench $(BUILD)/bench/firstinsn \
		$(BUILD)/bench/firstinsn-dynamic
	VMTEST_APPEND="ragged.run=bench $(if $(VMBENCH_ENV),ragged.bench_env=$(VMBENCH_ENV)) $(VMTEST_APPEND)" \
		VMTEST_EXTRA_TOOLS="bwrap $(VMTEST_EXTRA_TOOLS)" $(VMTEST_DIR)/run.sh \
		$(if $(strip $(KERNELS)),--kernels "$(KERNELS)") --timeout $(VMBENCH_TIMEOUT); \
	rc=$$?; set --; for f in $${VMTEST_CACHE:-$(VMTEST_DIR)/.cache}/logs/*.console.log; do \
		grep -q 'BENCH metric=' "$$f" 2>/dev/null && set -- "$$@" "$$(basename "$$f" .console.log)=$$f"; done; \
	[ $$# -eq 0 ] || ./tools/bench/summary.sh "$$@"; exit $$rc

# Install (FHS). PREFIX and DESTDIR as usual; the config goes to /etc
# (the agent's default path) and is never overwritten; uninstall keeps it.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
SYSCONFDIR  ?= /etc
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/ragged
UNITDIR     ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PYTHONDIR   ?= $(PREFIX)/lib/python3/dist-packages
INSTALL     ?= install
INSTALLED_DOCS := README.md LICENSE $(wildcard docs/*.md docs/*.json)
PY_FILES    := $(wildcard agent/python/ragged_sandbox/*.py)
.PHONY: install uninstall
install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/ragged \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(PYTHONDIR)/ragged_sandbox
	$(INSTALL) -m 0755 $(BUILD)/raggedd $(DESTDIR)$(SBINDIR)/raggedd
	$(INSTALL) -m 0755 $(BUILD)/raggedctl $(DESTDIR)$(BINDIR)/raggedctl
	[ -e $(DESTDIR)$(SYSCONFDIR)/ragged/agent.toml ] || \
		$(INSTALL) -m 0644 etc/agent.toml $(DESTDIR)$(SYSCONFDIR)/ragged/agent.toml
	sed 's|@SBINDIR@|$(SBINDIR)|g' etc/systemd/raggedd.service > $(DESTDIR)$(UNITDIR)/raggedd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/raggedd.service
	sed 's|@BINDIR@|$(BINDIR)|g' etc/systemd/ragged-advisories.service > \
		$(DESTDIR)$(UNITDIR)/ragged-advisories.service
	$(INSTALL) -m 0644 etc/systemd/ragged-advisories.timer $(DESTDIR)$(UNITDIR)/
	chmod 0644 $(DESTDIR)$(UNITDIR)/ragged-advisories.service
	for m in man/*.[158]; do sed 's|@VERSION@|$(RAGGED_VERSION)|g' $$m > \
		$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; chmod 0644 $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; done
	$(INSTALL) -m 0644 completion/raggedctl.bash $(DESTDIR)$(BASHCOMPDIR)/raggedctl
	ln -sf raggedctl $(DESTDIR)$(BASHCOMPDIR)/raggedd
	$(INSTALL) -m 0644 $(INSTALLED_DOCS) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(PY_FILES) $(DESTDIR)$(PYTHONDIR)/ragged_sandbox/
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/raggedd $(DESTDIR)$(BINDIR)/raggedctl \
		$(DESTDIR)$(UNITDIR)/raggedd.service $(DESTDIR)$(BASHCOMPDIR)/raggedctl \
		$(DESTDIR)$(UNITDIR)/ragged-advisories.service $(DESTDIR)$(UNITDIR)/ragged-advisories.timer \
		$(DESTDIR)$(BASHCOMPDIR)/raggedd \
		$(addprefix $(DESTDIR)$(MANDIR)/,man8/raggedd.8 man1/raggedctl.1 man5/agent.toml.5 man5/plugin.toml.5)
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(PYTHONDIR)/ragged_sandbox
	@echo "uninstall: $(SYSCONFDIR)/ragged/agent.toml, /var/lib/ragged and /var/log/ragged are kept"

clean:
	rm -rf $(BUILD) build-cov

VMTEST_DEPS := all test-bins
-include vmtest/vmtest.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
