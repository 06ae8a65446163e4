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

# tap OK|FAIL|SKIP DESCRIPTION [REASON]: print the next TAP result.
tap_n=0
tap() {
	tap_n=$((tap_n + 1))
	case $1 in
	OK) echo "ok $tap_n $2" ;;
	SKIP) echo "ok $tap_n $2 # SKIP $3" ;;
	*) echo "not ok $tap_n $2" ;;
	esac
}
