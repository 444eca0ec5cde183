# vmtest/vmtest.mk — VM test targets; the top-level Makefile includes this.
#
#   make vmtest-kernels              download the kernel matrix (idempotent)
#   make vmtest                      boot every kernel and run the suite
#   make vmtest KERNELS="6.1 7.3"    only these (space or comma separated)
#   make vmtest VMTEST_TIMEOUT=1500  per-boot timeout in seconds
#   make vmtest-systemd              systemd as PID 1, the agent as its service
#                                    (oldest and newest kernel; KERNELS= too)
#
# vmtest boots whatever is in build/ at that moment: set VMTEST_DEPS before
# the include (e.g. VMTEST_DEPS := all) to build first.

VMTEST_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
VMTEST_TIMEOUT ?= 1500
VMTEST_DEPS ?=

.PHONY: vmtest-kernels vmtest vmtest-systemd

vmtest-kernels:
	$(VMTEST_DIR)/fetch-kernels.sh $(if $(strip $(KERNELS)),--kernels "$(KERNELS)")

vmtest: vmtest-kernels $(VMTEST_DEPS)
	$(VMTEST_DIR)/run.sh $(if $(strip $(KERNELS)),--kernels "$(KERNELS)") --timeout $(VMTEST_TIMEOUT)

vmtest-systemd: vmtest-kernels $(VMTEST_DEPS)
	$(VMTEST_DIR)/run.sh --systemd $(if $(strip $(KERNELS)),--kernels "$(KERNELS)") --timeout $(VMTEST_TIMEOUT)
