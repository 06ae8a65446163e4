#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ksft.sh COLLECTION:TEST SECONDS: run one test of the kernel tree's
# kselftests (installed by tools/testing/selftests/daxgup/build.sh into
# $DAXGUP_BIN/ksft) with the kernel's own runner, run_kselftest.sh, on the
# lab's DAX filesystems, with SECONDS (times TIMEOUT_SCALE and ITER) as the
# runner's timeout.
#
# The runner nests the test's TAP under its own, each line prefixed "# ";
# the lab reads one test's TAP per suite entry, so the test's lines are
# printed as they are and the runner's as "# ksft: ..." comments.  The exit
# code is the test's, as the runner reports it: 4 for a skip, 124 for its
# timeout.
set -u
test=$1
secs=$(($2 * ${DAXGUP_TIMEOUT_SCALE:-1} * ${DAXGUP_ITER:-1}))
ksft=$DAXGUP_BIN/ksft
[ -x "$ksft/run_kselftest.sh" ] || { echo "# no kselftests in $ksft (build.sh)"; exit 1; }

# fs:dir:memmap:dev:driver, one per DAX filesystem: this pass's share of
# them (make check's two passes split the filesystems; FULL=1: all).
dirs=
for m in ${DAXGUP_SHARE_MOUNTS:-${DAXGUP_MOUNTS:-}}; do
	IFS=: read -r _ dir _ <<<"$m"
	dirs=${dirs:+$dirs:}$dir
done
export DAX_TEST_DIR=$dirs
# dax_removal removes the device under one filesystem, named by
# DAX_TEST_REMOVE (DAXGUP_KSFT_REMOVE=1): the K-th of this pass's share
# (DAXGUP_SHARE=K/N), so that make check's two passes remove an ext4 and
# an xfs with rmapbt.
if [ -n "${DAXGUP_KSFT_REMOVE:-}" ] && [ -n "$dirs" ]; then
	IFS=: read -ra list <<<"$dirs"
	k=${DAXGUP_SHARE:-0/1}
	export DAX_TEST_REMOVE=${list[$((${k%/*} % ${#list[@]}))]}
fi
export KSELFTEST_DAX_INFLIGHT_ARGS="-i ${DAXGUP_ITER:-1}${DAXGUP_OPS:+ -c $DAXGUP_OPS}"
export KSELFTEST_DAX_LOCKEDSCAN_ARGS="-i $((5 * ${DAXGUP_ITER:-1}))"

"$ksft/run_kselftest.sh" -o "$secs" -t "$test" | awk '
	function out(s) { print s; fflush() }
	# Before the test starts: the runner plan and its timeout.
	!started { out("# ksft: " $0); if ($0 ~ /^# selftests: /) started = 1; next }
	/^(not )?ok [0-9]+ selftests: / {
		out("# ksft: " $0)
		if ($0 ~ /^ok .*# SKIP/) rc = 4
		else if ($0 ~ /^ok /) rc = 0
		else if ($0 ~ /# TIMEOUT/) rc = 124
		else if (match($0, /# exit=[0-9]+/)) rc = substr($0, RSTART + 7, RLENGTH - 7) + 0
		else rc = 1
		done = 1
		next
	}
	/^# / { out(substr($0, 3)); next }
	/^#$/ { next }
	{ out("# ksft: " $0) }
	END { exit done ? rc : 1 }
'
