# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shell helpers shared by the daxgup selftests that run in the guest.

# wait_blockdev NAME: wait up to 10 s for /dev/NAME to appear; 0 if it did.
wait_blockdev() {
	for _ in $(seq 100); do
		[ -b "/dev/$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# tap OK|FAIL|SKIP|XFAIL DESCRIPTION [REASON]: print the next TAP result.
tap_n=0
tap() {
	tap_n=$((tap_n + 1))
	case $1 in
	OK) echo "ok $tap_n $2" ;;
	SKIP) echo "ok $tap_n $2 # SKIP $3" ;;
	XFAIL) echo "ok $tap_n $2 # XFAIL $3" ;;
	*) echo "not ok $tap_n $2" ;;
	esac
}

# kmsg_mark WORDS: put a line in the kernel log (letters, digits, spaces);
# kmsg_since WORDS: the kernel log from that line on.  Unlike dmesg -c,
# this leaves the log to the lab, which reads each test's part of it.
kmsg_mark() { echo "daxgup mark: $*" >/dev/kmsg; }
kmsg_since() { dmesg | sed -n "/daxgup mark: $*\$/,\$p"; }

# allow_report REGEX: a kernel report matching REGEX is the known bug that
# this test reports as XFAIL, not a failure of the test (see run.sh).
allow_report() { [ -z "${DAXGUP_ALLOW:-}" ] || echo "$1" >>"$DAXGUP_ALLOW"; }
