# ragged plugin sandbox — top-level build.
#
#   make deps       install Debian packages + fetch vmtest kernels (idempotent)
#   make            BPF objects, skeletons, raggedd, raggedctl, test plugins
#   make test       unit tests, native integration tests, vmtest
#   make coverage   per-file line coverage of the security modules
#   make demo       start raggedd, run the example plugin, print its audit records

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
BUILD    ?= build
ARCH     := x86

# Truncated error text is acceptable; paths go through xsnprintf(), which fails on truncation.
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent/common -I$(BUILD)
LDLIBS   := -lbpf -lelf -lz -lcjson -lseccomp -lcrypto
ifeq ($(COVERAGE),1)
CFLAGS   += --coverage -O0 -DRAGGED_COVERAGE
LDFLAGS  += --coverage
endif
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

COMMON_SRCS := $(wildcard agent/common/*.c)
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

.PHONY: all deps test test-unit test-native coverage demo fuzz bench clean
all: $(BUILD)/raggedd $(BUILD)/raggedctl $(PLUGINS) $(UNIT_BINS)

deps:
	./tools/deps.sh

# vmlinux.h comes from the build machine's own BTF (see docs/build.md): the
# programs are CO-RE, so one object built against it relocates onto every
# kernel of the vmtest matrix; vmtest proves that on each build.
$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h include/ragged/*.h)
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-Iinclude -I$(BUILD) -Ibpf -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) $(wildcard include/ragged/*.h agent/common/*.h agent/daemon/*.h agent/ctl/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/raggedd: $(BUILD)/obj/agent/daemon/raggedd.o $(DAEMON_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/raggedctl: $(BUILD)/obj/agent/ctl/raggedctl.o $(CTL_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Test plugins are real programs run inside the sandbox: plain C, no agent code.
$(BUILD)/plugins/%: tests/plugins/%.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@ -lpthread

$(BUILD)/tests/%: tests/unit/%.c $(DAEMON_OBJS) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

# libFuzzer targets: clang, ASan + UBSan, common parsers only.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent/common
$(BUILD)/fuzz/%: tests/fuzz/%.c $(COMMON_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $^ -o $@ -lcjson -lcrypto -lelf

# Then the stateful agent fuzzer (tests/fuzz/agentfuzz.py, needs root) against
# a live agent of this build, AGENT_FUZZ_SECONDS long.
fuzz: $(FUZZ_BINS) all
	./tests/fuzz/run.sh $(BUILD)/fuzz $${FUZZ_SECONDS:-30}
	RAGGED_BUILD=$(abspath $(BUILD)) RAGGED_TESTS=t_robust_fuzz \
		RAGGED_FUZZ_SECONDS=$${AGENT_FUZZ_SECONDS:-300} ./tests/integration/run.sh

test-unit: $(UNIT_BINS)
	./tests/unit/run.sh $(BUILD)/tests

test-native: all
	./tests/integration/run.sh

test: all $(FUZZ_BINS)
	./tests/run-all.sh

coverage:
	./tools/coverage.sh

demo: all
	./tools/demo.sh

bench: all
	./tools/bench/run.sh
	./tools/bench/limits.sh
	./tools/bench/consent.sh
	./tools/bench/enforce.sh
	$(CC) -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent/common tools/bench/auditbench.c \
		agent/common/audit*.c agent/common/util.c -o $(BUILD)/bench/auditbench -lcjson -lcrypto
	$(BUILD)/bench/auditbench 200000
	./tools/bench/flood.sh

# Enforcement bench (tools/bench/enforce.sh): empty programs on the ragged
# hooks and the stats/attach helper, in build/bench/ (shipped to vmtest).
ENFORCE_BENCH := $(BUILD)/bench/empty.bpf.o $(BUILD)/bench/bpfstats $(BUILD)/plugins/loopbench
$(BUILD)/bench/empty.bpf.o: tools/bench/empty.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD) -c $< -o $@
$(BUILD)/bench/bpfstats: tools/bench/bpfstats.c
	@mkdir -p $(@D)
	$(CC) -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE $< -o $@ -lbpf -lelf -lz
VMBENCH_TIMEOUT ?= 1800
.PHONY: bench-enforce vmbench
bench-enforce: all $(ENFORCE_BENCH)
	./tools/bench/enforce.sh
# The same bench inside the vmtest guests (bpf-lsm mode), instead of the suite;
# e.g. make vmbench KERNELS="6.1 7.3" VMBENCH_ENV=R=10,S=3 (results: console log).
vmbench: vmtest-kernels all $(ENFORCE_BENCH)
	VMTEST_APPEND="ragged.run=bench $(if $(VMBENCH_ENV),ragged.bench_env=$(VMBENCH_ENV)) $(VMTEST_APPEND)" \
		$(VMTEST_DIR)/run.sh \
		$(if $(strip $(KERNELS)),--kernels "$(KERNELS)") --timeout $(VMBENCH_TIMEOUT)

clean:
	rm -rf $(BUILD) build-cov

VMTEST_DEPS := all
-include vmtest/vmtest.mk
