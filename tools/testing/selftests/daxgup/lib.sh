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

# wait_for CMD...: up to $hang s (the caller's) for CMD to succeed.
wait_for() {
	local i
	for ((i = 0; i < hang * 10; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# unbind_bounded DRV DEV: unbind DEV from DRV in the background; bail() (the
# caller's) if it does not return within $hang s, else its exit status.
unbind_bounded() {
	local upid
	echo "$2" >"/sys/bus/nd/drivers/$1/unbind" &
	upid=$!
	wait_for bash -c "! kill -0 $upid 2>/dev/null" || bail "the unbind of $2 does not return"
	wait "$upid"
}

# release_ns NS: let go of namespace NS: its pfn device (unbound, claim
# released), and NS itself if a driver serves it; force_raw off.
release_ns() {
	local nd=/sys/bus/nd ns=$1 h
	h=$(cat "$nd/devices/$ns/holder" 2>/dev/null)
	if [ -n "$h" ]; then
		[ ! -e "$nd/devices/$h/driver" ] || echo "$h" >"$nd/devices/$h/driver/unbind"
		echo "" >"$nd/devices/$h/namespace"
	fi
	[ ! -e "$nd/devices/$ns/driver" ] || echo "$ns" >"$nd/devices/$ns/driver/unbind"
	echo 0 >"$nd/devices/$ns/force_raw"
}

# reader_py FILE DEV (python3 -c "$reader_py" FILE DEV): map FILE (2 MiB)
# shared, write every page, open DEV O_DIRECT, say "ready", read DEV's
# first 2 MiB into the mapping (GUP pins its DAX pages until the read
# lands), say "read <bytes>" without touching the mapping again (a removal
# may have revoked it), then wait for stdin to close.
# shellcheck disable=SC2034 # used by the scripts that source this file
reader_py='
import mmap, os, sys
n = 2 << 20
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.ftruncate(fd, n)
m = mmap.mmap(fd, n)
m[:] = b"\x5a" * n
dev = os.open(sys.argv[2], os.O_RDONLY | os.O_DIRECT)
print("ready", flush=True)
try:
    print("read %d" % os.preadv(dev, [m], 0), flush=True)
except OSError as e:
    print("read failed: %s" % e, flush=True)
sys.stdin.read()
'

# unbind_under_pin TAG DRV DEV NS FS DEVNAME MNT WHAT: one TAP result WHAT.
# An O_DIRECT read from a dm-delay device (20 s reads) into a MAP_SHARED
# mapping of MNT/TAG-read pins its DAX pages while DEV (a pfn device or a
# namespace) is unbound from DRV (daxgup_pmem): the unbind must return
# with the read still in flight and NS listed in DRV's parked file; the
# read must land in full; once MNT is unmounted the memory is released
# and DEV binds again, and FS on /dev/DEVNAME mounts on MNT again (left
# mounted; sets back).  Needs $tmp, $hang, $nd, bail() of the caller.
unbind_under_pin() {
	local tag=$1 drv=$2 dev=$3 ns=$4 fs=$5 devname=$6 mnt=$7 what=$8
	local slow=daxgup-$tag-slow sectors rpid rin urc early parked released
	landed() { grep -qE '^read ([0-9]+|failed)' "$tmp/reader"; }

	sectors=$(blockdev --getsz "$DAXGUP_SCRATCH")
	dmsetup create --noudevsync "$slow" \
		--table "0 $sectors delay $DAXGUP_SCRATCH 0 20000 $DAXGUP_SCRATCH 0 0" &&
		dmsetup mknodes "$slow"
	[ -b "/dev/mapper/$slow" ] || bail "cannot make the dm-delay device $slow"
	rm -f "$tmp/in" && mkfifo "$tmp/in"
	python3 -u -c "$reader_py" "$mnt/$tag-read" "/dev/mapper/$slow" <"$tmp/in" \
		>"$tmp/reader" 2>&1 &
	rpid=$!
	exec {rin}>"$tmp/in"
	wait_for grep -q '^ready' "$tmp/reader" ||
		bail "the reader did not start: $(cat "$tmp/reader")"
	sleep 1	# for the read to be submitted: its pages pinned
	kmsg_mark "$tag unbind"
	unbind_bounded "$drv" "$dev"
	urc=$?
	early=
	landed && early=1
	parked=$(grep "^$ns " "$nd/drivers/$drv/parked")
	echo "# unbind of $dev: exit $urc, the read $([ -n "$early" ] && echo "no longer" || echo still)" \
		"in flight; parked: ${parked:-nothing}"
	wait_for landed || bail "the read into the parked pages never returns"
	echo "# reader: $(grep -E '^read ([0-9]+|failed)' "$tmp/reader")"
	exec {rin}>&-
	wait "$rpid"
	umount "$mnt" 2>/dev/null
	released=
	wait_for bash -c "! grep -q '^$ns ' $nd/drivers/$drv/parked" && released=1
	back=
	if [ -n "$released" ] && echo "$dev" >"$nd/drivers/$drv/bind" && wait_blockdev "$devname" &&
	   mount -t "$fs" -o dax=always "/dev/$devname" "$mnt"; then
		back=1
	fi
	dmsetup remove --noudevsync "$slow" 2>/dev/null
	if [ "$urc" = 0 ] && [ -z "$early" ] && [ -n "$parked" ] &&
	   grep -q "^read $((2 << 20))\$" "$tmp/reader" && [ -n "$back" ]; then
		tap OK "$what"
	else
		kmsg_since "$tag unbind" | grep -E "$drv|parked|released" | tail -n 6 | sed 's/^/# /'
		echo "# released: ${released:-no}, served again: ${back:-no}"
		tap FAIL "$what"
	fi
}
