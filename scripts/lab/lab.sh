#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lab's one entry point (the top-level Makefile calls it):
#   lab.sh prepare         packages, source tree + series, kernel, initramfs, tests
#   lab.sh demo            prepare, boot with one namespace per driver, show the
#                          hazard the series fixes live, a fio table, what to try next
#   lab.sh check           prepare, run the suite (TESTS: a part of it) in the guest
#   lab.sh bench           prepare, run the benchmarks in the guest
# Variables: KERNEL=patched|base|stock, VARIANT=debug, KSRC=tree, O=work dir,
# ACCEL=tcg|kvm, DRIVER=nd_pmem|daxgup_pmem|both (which driver serves the
# namespaces; both: each serves one of each pair, the default of demo and bench),
# TESTS="name ..." (a subset of the suite).
set -eu
. "$(dirname "$0")/lib.sh"

SUITE_DIR=$DAXGUP_TOP/tools/testing/selftests/daxgup
# make check runs the suite once per driver unless DRIVER names one; make
# and make bench serve half the namespaces with each.
DRIVERS=${DRIVERS:-${DRIVER:-nd_pmem daxgup_pmem}}
case ${1:-demo} in demo|bench) DRIVER=${DRIVER:-both} ;; esac
DRIVER=${DRIVER:-nd_pmem}

prepare() {
	# Checkouts may share O.  Making or changing the source trees takes
	# .tree.lock, briefly; a build locks its own build dir.  Editing the
	# series while a build from it runs is the user's lookout.
	[ "$KERNEL" != stock ] || [ -z "$VARIANT" ] ||
		die "VARIANT=$VARIANT: the stock kernel is Debian's build, it has no variants"
	mkdir -p "$DAXGUP_O"
	exec 8>"$DAXGUP_O/.tree.lock"
	flock 8
	"$DAXGUP_TOP/scripts/lab/deps.sh"
	case $KERNEL in
	stock) "$DAXGUP_TOP/scripts/lab/tree.sh" base >/dev/null ;;
	patched|base)
		"$DAXGUP_TOP/scripts/lab/tree.sh" "$KERNEL"
		[ "$KERNEL" = base ] || "$DAXGUP_TOP/scripts/lab/tree.sh" base >/dev/null
		;;
	*) die "KERNEL=$KERNEL: expected patched, base or stock" ;;
	esac
	# The series' kselftests run on every kernel, built from the patched tree.
	if [ "$KERNEL" != patched ] &&
	   ! "$DAXGUP_TOP/scripts/lab/tree.sh" patched >/dev/null 2>"$DAXGUP_O/.tree.log"; then
		cat "$DAXGUP_O/.tree.log" >&2
		exit 1
	fi
	flock -u 8
	exec 9>"$(build_dir).lock"
	flock 9
	if [ "$KERNEL" = stock ]; then
		"$DAXGUP_TOP/scripts/lab/stock.sh"
	else
		"$DAXGUP_TOP/scripts/lab/build.sh" "$KERNEL"
	fi
	"$DAXGUP_TOP/scripts/lab/initramfs.sh" "$KERNEL"
	# The module and the tests take libnvdimm's headers from the base tree.
	step "build the daxgup_pmem module" "$DAXGUP_TOP/scripts/lab/module.sh" "$KERNEL"
	step "build the tests" "$SUITE_DIR/build.sh" "$(tests_bin)"
	flock -u 9
}

# run_plan NAME PLAN: boot as often as it takes to run every line of PLAN,
# each crash or hang costing the test that caused it and a fresh boot.
run_plan() {
	local name=$1 plan=$2 run n=0 pending d
	run=$DAXGUP_O/results/$KERNEL${VARIANT:+-$VARIANT}-$name-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$run"
	ln -sfn "$run" "$DAXGUP_O/results/latest"
	cat >"$run/run.env" <<ENV
KERNEL=$KERNEL
VARIANT=$VARIANT
RELEASE=$(kernel_release)
ACCEL=$("$DAXGUP_TOP/scripts/lab/accel.sh")
DRIVER=$DRIVER
TOP=$DAXGUP_TOP
ENV
	# A test whose timeout ends in "!" gets a boot of its own: it may take
	# the kernel down or leave it unusable for the tests after it.  One
	# whose timeout ends in "+" shares the boot of the "!" or "+" test just
	# before it: it may take the kernel down too, but leaves it as it found
	# it when it does not (a crash still costs only the test that caused
	# it: the tests after it get a fresh boot).
	local chunks=() chunk="" line own=""
	while read -r line; do
		case $line in ''|'#'*) continue ;; esac
		set -- $line
		if [ "${2%+}" != "$2" ] && [ -n "$own" ]; then
			chunks[-1]+=$'\n'"$line"
		elif [ "${2%[+!]}" != "$2" ]; then
			[ -z "$chunk" ] || chunks+=("$chunk")
			chunks+=("$line")
			chunk=""
			own=1
		else
			chunk+="$line"$'\n'
			own=""
		fi
	done <"$plan"
	[ -z "$chunk" ] || chunks+=("$chunk")
	for pending in "${chunks[@]}"; do
	pending=$(printf '%s\n' "$pending" | sed '/^$/d')
	while [ -n "$pending" ]; do
		n=$((n + 1))
		d=$run/boot$n
		mkdir -p "$d"
		printf '%s\n' "$pending" >"$d/plan"
		cat >"$d/env" <<ENV
DAXGUP_TOP=$DAXGUP_TOP
DAXGUP_KERNEL=$KERNEL
DAXGUP_BIN=$(tests_bin)
DAXGUP_DRIVER=$DRIVER
DAXGUP_MODULE=$(module_dir)/daxgup_pmem.ko
DAXGUP_ITER=${ITER:-1}
DAXGUP_OPS=${OPS:-}
DAXGUP_SHARE=${SHARE:-}
DAXGUP_TIMEOUT_SCALE=${TIMEOUT_SCALE:-$([ -n "$VARIANT" ] && echo 4 || echo 1)}
DAXGUP_BENCH_REPS=${REPS:-}
DAXGUP_BENCH_RUNTIME=${RUNTIME:-}
ENV
		step "boot $n: $KERNEL kernel $(kernel_release), $(printf '%s\n' "$pending" | wc -l) test(s)" \
			"$DAXGUP_TOP/scripts/lab/boot.sh" "$d" || true
		# A crash before userspace is no test's doing.  Multi-threaded TCG
		# rarely runs stale code while the kernel patches its text at
		# boot ("Oops: int3"): boot once more, and say so.
		if ! grep -q '^ready' "$d/progress"; then
			tail -n 40 "$d/console.log" >&2
			[ ! -e "$d.early" ] || die "the guest never reached userspace, twice (console: $d/console.log)"
			log "the guest never reached userspace (console: $d.early/console.log): booting again"
			mv "$d" "$d.early"
			n=$((n - 1))
			continue
		fi
		if grep -q '^setup-failed' "$d/progress"; then
			cat "$d/setup.log" >&2
			die "guest setup failed: no DAX filesystems (log: $d/setup.log)"
		fi
		if ! grep -q '^start' "$d/progress"; then
			tail -n 40 "$d/console.log" >&2
			die "boot $n ran no test (console: $d/console.log)"
		fi
		pending=$(python3 "$DAXGUP_TOP/scripts/lab/report.py" pending "$d")
		[ -z "$pending" ] || log "boot $n ended early: $(printf '%s\n' "$pending" | wc -l) test(s) left for a fresh boot"
	done
	done
	RUN_DIR=$run
}

tests_bin() {
	printf '%s/tests-%s\n' "$(checkout_dir)" "$(kernel_release)"
}

# suite_plan [NAMES]: the suite's lines, or only those named.
suite_plan() {
	local want=${TESTS:-}
	if [ -z "$want" ]; then
		cat "$SUITE_DIR/suite"
	else
		awk -v want=" $want " '/^[[:space:]]*(#|$)/ {next} index(want, " " $1 " ")' "$SUITE_DIR/suite"
	fi
}

# demo_end RUN_DIR: what `make` prints after the demo's TAP: the guest time,
# the verdict of the lab's report, and the next commands worth trying.  A
# stock run also leaves the hazard's lines in RUN_DIR/demo-stock.txt, in the
# form of scripts/lab/demo-stock.txt, which the demo shows on other kernels.
demo_end() {
	local run=$1 rc=0 lines warn
	# What the kernel said as it freed blocks under DMA, if it did.
	warn=$(grep -m 1 -E 'WARNING: .* fs/dax\.c:[0-9]+ ' "$run/boot1/dmesg/demo.log" 2>/dev/null |
		sed 's/^\[[ 0-9.]*\] //')
	[ -z "$warn" ] || echo "# the kernel meanwhile: $warn"
	awk '$1 == "ready" {r = $2} $1 == "setup-done" {s = $2} $1 == "done" {d = $2}
	     END {if (r != "" && s != "" && d != "")
		printf "# guest time, boot excluded: %.0f s (setup %.0f s, demo %.0f s)\n", d - r, s - r, d - s}' \
		"$run/boot1/progress"
	python3 "$DAXGUP_TOP/scripts/lab/report.py" summary "$run" >"$run/summary.txt" || rc=$?
	if [ "$rc" != 0 ]; then
		grep -e '^not ok' -e '# daxgup: failed' -e '# kernel: ' "$run/summary.txt" || true
		tail -n 1 "$run/summary.txt"
		log "the demo failed: $run/results.tap"
		exit "$rc"
	fi
	if [ "$KERNEL" = stock ]; then
		lines=$(sed -n 's/^ok [0-9]* \(.*: truncate .*\) # XFAIL .*/line \1/p' \
			"$run/boot1/tap/demo.tap")
		if [ -n "$lines" ]; then
			{
				# shellcheck disable=SC2016 # the backquotes are text
				echo '# What `make KERNEL=stock` printed for the hazard step, measured once;'
				echo '# scripts/lab/guest/demo.sh shows it on the other kernels.'
				echo "release $(kernel_release)"
				echo "date $(date +%Y-%m-%d)"
				echo "$lines"
			} >"$run/demo-stock.txt"
			log "the hazard's lines, as scripts/lab/demo-stock.txt keeps them: $run/demo-stock.txt"
		fi
	fi
	echo
	echo "Next:"
	if [ "$KERNEL" = patched ]; then
		echo "  make KERNEL=stock"
		echo "      the same demo on Debian's stock 6.12 (no build): the truncate frees the blocks under the read"
	else
		echo "  make"
		echo "      the same demo with the series: the truncate waits for the read, no other file changes"
	fi
	echo "  make check TESTS=dax_park DRIVERS=daxgup_pmem"
	echo "      removal under a pin: a namespace unbound while DMA into it is in flight is parked, not freed"
	echo "  make check TESTS=dax_inflight"
	echo "      every layout change under in-flight DMA (punch, clone, exchange, unlink, umount...), ext4 and xfs"
}

cmd=${1:-demo}
case $cmd in
prepare)
	step "prepare the lab ($KERNEL${VARIANT:+-$VARIANT})" prepare
	;;
demo)
	step "prepare the lab ($KERNEL${VARIANT:+-$VARIANT})" prepare
	plan=$(mktemp)
	printf 'demo 600 %s/scripts/lab/guest/demo.sh\n' "$DAXGUP_TOP" >"$plan"
	run_plan demo "$plan"
	rm -f "$plan"
	cat "$RUN_DIR/boot1/tap/demo.tap"
	demo_end "$RUN_DIR"
	;;
check)
	step "prepare the lab ($KERNEL${VARIANT:+-$VARIANT})" prepare
	plan=$(mktemp)
	suite_plan >"$plan"
	[ -s "$plan" ] || die "TESTS=${TESTS:-}: no such test in $SUITE_DIR/suite"
	# Four NVDIMMs: ext4 and xfs, each with the memmap in RAM and in pmem.
	export NVDIMMS=${NVDIMMS:-4}
	# The whole suite once per driver: the in-tree nd_pmem and ours.  The
	# long iterations are shared out between the passes unless FULL=1:
	# a test that does not depend on the driver (DAXGUP_ONCE=1 in its
	# line) runs in the first pass only, one whose value is in one
	# driver's pass (DAXGUP_ONCE=NAME) in that pass only, and the
	# filesystem-level tests that go through every DAX filesystem take
	# this pass's share of them (DAXGUP_SHARE=K/N, see setup.sh), so that
	# each filesystem and memmap placement is covered once.
	runs=()
	read -ra passes <<<"$DRIVERS"
	npass=${#passes[@]}
	pass=0
	for DRIVER in "${passes[@]}"; do
		SHARE=
		[ "${FULL:-0}" != 0 ] || [ "$npass" -lt 2 ] || SHARE=$pass/$npass
		# A test of one driver (DAXGUP_FOR_DRIVER=NAME in its line) runs in its pass.
		awk -v d="$DRIVER" -v share="$SHARE" -v later="$([ "$pass" -gt 0 ] && echo 1)" '
			share && match($0, /DAXGUP_ONCE=[^ ]*/) {
				once = substr($0, RSTART + 12, RLENGTH - 12)
				if (once == "1" && later) next
				if (once != "1" && once != d) next
			}
			match($0, /DAXGUP_FOR_DRIVER=[^ ]*/) &&
			substr($0, RSTART + 18, RLENGTH - 18) != d {next}
			{print}' "$plan" >"$plan.$DRIVER"
		pass=$((pass + 1))
		[ -s "$plan.$DRIVER" ] || { log "no test for $DRIVER"; continue; }
		log "suite with the namespaces served by $DRIVER"
		run_plan "check-$DRIVER" "$plan.$DRIVER"
		runs+=("$RUN_DIR")
	done
	rm -f "$plan" "$plan".*
	python3 "$DAXGUP_TOP/scripts/lab/report.py" summary "${runs[@]}"
	;;
bench)
	# Room for a 1 GiB file on each DAX filesystem; four namespaces, two
	# equal pairs (-M mem ext4, -M dev xfs), one of each pair per driver.
	export NVDIMM_SIZE=${NVDIMM_SIZE:-2G} NVDIMMS=${NVDIMMS:-4} MAXMEM=${MAXMEM:-16G}
	step "prepare the lab ($KERNEL${VARIANT:+-$VARIANT})" prepare
	plan=$(mktemp)
	if [ -n "${TESTS:-}" ]; then
		awk -v want=" $TESTS " '/^[[:space:]]*(#|$)/ {next} index(want, " " $1 " ")' "$SUITE_DIR/bench"
	else
		grep -v '^[[:space:]]*\(#\|$\)' "$SUITE_DIR/bench"
	fi >"$plan"
	[ -s "$plan" ] || die "TESTS=${TESTS:-}: no such benchmark in $SUITE_DIR/bench"
	run_plan bench "$plan"
	rm -f "$plan"
	python3 "$DAXGUP_TOP/scripts/lab/report.py" summary "$RUN_DIR" >"$RUN_DIR/summary.txt" || rc=$?
	cat "$RUN_DIR"/boot*/tap/*.tap | sed -n 's/^# json: //p' >"$RUN_DIR/bench.jsonl"
	grep -h '^ok\|^not ok' "$RUN_DIR"/boot*/tap/*.tap
	tail -n 1 "$RUN_DIR/summary.txt"
	log "results: $RUN_DIR/bench.jsonl (one JSON object a line)"
	python3 "$DAXGUP_TOP/scripts/lab/bench-report.py" "$RUN_DIR" || rc=${rc:-$?}
	exit "${rc:-0}"
	;;
bench-report)
	# RUNS="dir ...": bench runs to combine; by default the latest bench
	# run of each kernel under $O/results.
	# shellcheck disable=SC2086
	python3 "$DAXGUP_TOP/scripts/lab/bench-report.py" ${RUNS:-}
	;;
*) die "lab.sh: unknown command $cmd (prepare, demo, check, bench, bench-report)" ;;
esac
