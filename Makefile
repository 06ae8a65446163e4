# SPDX-License-Identifier: GPL-2.0
#
# daxgup: DAX-GUP for Linux 6.12.y -- a patch series, a pmem driver module
# and a lab that boots the result on emulated NVDIMMs.
#
#   make                 build the kernel with patches/series, boot it under
#                        QEMU, one NVDIMM per driver (ext4 -o dax=always): the
#                        hazard the series fixes, live, and a fio table
#   make check           the whole test suite in the guest (TAP, totals)
#   make help            everything else
#
# Variables: KERNEL=patched|base|stock  VARIANT=debug  KSRC=/path/to/6.12.y
#            O=work dir (default ~/.cache/daxgup)  ACCEL=tcg|kvm
#            TESTS="name ..." (a subset of the suite)  JOBS=N
#            FULL=1 (make check: every long iteration in every driver's pass)

KERNEL ?= patched
export KERNEL VARIANT KSRC O ACCEL DRIVER DRIVERS TESTS JOBS ITER FULL RUNS REPS RUNTIME

LAB := bash scripts/lab/lab.sh

.PHONY: all check bench bench-report prepare deps tree kernel series-edit series-export checkpatch help
.PHONY: dkms dkms-remove

all:
	@$(LAB) demo

check:
	@$(LAB) check

bench:
	@$(LAB) bench

bench-report:
	@$(LAB) bench-report

prepare kernel:
	@$(LAB) prepare

deps:
	@bash scripts/lab/deps.sh

# daxgup_pmem on this machine through Debian's dkms, for KVER (default: the
# running kernel) and every later 6.12 kernel, with /etc/modprobe.d/daxgup.conf
dkms:
	@bash scripts/lab/dkms.sh install $(KVER)

dkms-remove:
	@bash scripts/lab/dkms.sh remove

series-edit:
	@bash scripts/lab/series.sh edit

series-export:
	@bash scripts/lab/series.sh export

checkpatch:
	@bash scripts/lab/series.sh checkpatch

help:
	@sed -n '3,15s/^# \{0,1\}//p' Makefile
	@echo
	@echo "  make bench          the benchmarks in the guest (JSON, table, plots under the results dir)"
	@echo "  make bench-report   combine bench runs (RUNS=\"dir ...\", default: latest per kernel)"
	@echo "  make prepare        packages, source tree, kernel, initramfs, tests; no boot"
	@echo "  make deps           install the Debian packages the lab needs"
	@echo "  make series-edit    print the git tree where the series is applied, to edit it"
	@echo "  make series-export  write that tree's commits back to patches/ and patches/series"
	@echo "  make checkpatch     scripts/checkpatch.pl --strict on every patch of the series"
	@echo "  make dkms           install daxgup_pmem on this machine with Debian's dkms (KVER=6.12.x-...),"
	@echo "                      and daxgup.conf, which makes it the driver of pmem namespaces"
	@echo "  make dkms-remove    undo make dkms"
