#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_longterm_unbind: the removal of a pmem namespace under a long-term
# pin.  fio registers its buffer, a MAP_SHARED mapping of a 2 MiB file on
# the first DAX filesystem of daxgup_pmem (io_uring --fixedbufs: pinned
# long-term, listed in debugfs dax/longterm_pins), and reads 2 MiB from a
# dm-delay device (20 s reads) into it; meanwhile the filesystem's pfn
# device is unbound.  The unbind must return with the read in flight and
# the namespace parked; the read must land and fio end cleanly; fio's exit
# must let the file go (the listing drops it); then the filesystem
# unmounts, the memory is released, and the namespace binds and mounts
# again.  A long-term pin is a holder that never lets go by itself: the
# removal must not wait for it.  Kernels that refuse long-term pins of DAX
# files refuse the registration (EOPNOTSUPP) and nothing is removed.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
nd=/sys/bus/nd
drv=daxgup_pmem
listing=/sys/kernel/debug/dax/longterm_pins
hang=$((30 * ${DAXGUP_TIMEOUT_SCALE:-1}))
tmp=$(mktemp -d /tmp/dax-lt-unbind.XXXXXX)
slow=daxgup-ltu-slow
fpid=
cleanup() {
	[ -z "$fpid" ] || kill -9 "$fpid" 2>/dev/null
	dmsetup remove --noudevsync "$slow" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
bail() { echo "Bail out! $*"; exit 1; }
listed() { grep -q " path=$1\$" "$listing" 2>/dev/null; }
running() { kill -0 "$fpid" 2>/dev/null; }
# Reads dm-delay holds back (its status: reads, writes in flight).
delayed() { dmsetup status "$slow" 2>/dev/null | awk '{print $4 + 0}'; }
inflight() { [ "$(delayed)" -gt 0 ]; }

echo "TAP version 13"
echo "1..1"
m=
for e in $DAXGUP_MOUNTS; do
	[ "${e##*:}" = "$drv" ] && m=$e && break
done
what="the unbind of a pfn device returns while fio's io_uring buffer in a DAX file on it is long-term pinned with a read into it in flight; the memory stays parked until fio exits, then is released, and the namespace is served again"
if [ -z "$m" ]; then
	tap SKIP "$what" "no DAX filesystem served by $drv in this pass"
	exit 0
fi
IFS=: read -r fs mnt _ dev _ <<<"$m"
pfn=$(basename "$(readlink -f "/sys/block/$dev/device")")
ns=$(cat "$nd/devices/$pfn/namespace")
what="$fs on $dev ($pfn, $drv): $what"
buf=$mnt/longterm-unbind
xfs_io -f -c "pwrite -q 0 2m" -c fsync "$buf" >/dev/null || bail "cannot write $buf"
sectors=$(blockdev --getsz "$DAXGUP_SCRATCH")
dmsetup create --noudevsync "$slow" \
	--table "0 $sectors delay $DAXGUP_SCRATCH 0 20000 $DAXGUP_SCRATCH 0 0" &&
	dmsetup mknodes "$slow"
[ -b "/dev/mapper/$slow" ] || bail "cannot make the dm-delay device $slow"

# One process (--thread), so that killing it lets everything go.
fio --name=longterm-unbind --filename="/dev/mapper/$slow" --rw=read --bs=2m --size=2m \
	--direct=1 --ioengine=io_uring --fixedbufs --iodepth=1 --iomem="mmapshared:$buf" --thread \
	--output-format=terse >"$tmp/fio" 2>&1 &
fpid=$!
# Registered (pinned and listed), or refused.
wait_for bash -c "grep -q ' path=$buf\$' $listing 2>/dev/null || ! kill -0 $fpid 2>/dev/null"
if ! listed "$buf"; then
	wait "$fpid"
	rc=$?
	fpid=
	sed 's/^/# fio: /' "$tmp/fio" | tail -n 5
	grep -qE 'err=95|Operation not supported' "$tmp/fio" &&
		echo "# io_uring buffer registration: long-term pin refused: EOPNOTSUPP"
	echo "# fio exit $rc; the buffer was never listed in $listing"
	tap FAIL "$what"
	exit 0
fi
grep " path=$buf\$" "$listing" | sed 's/^/# pinned: /'
# The read submitted, held back by dm-delay.
wait_for inflight ||
	bail "fio's read never reached $slow: $(dmsetup status "$slow")"
kmsg_mark "longterm unbind"
unbind_bounded "$drv" "$pfn"
urc=$?
# Still pinned, still reading, still parked: the unbind took nothing away.
early=
held=
running && inflight || early=1
parked=$(grep "^$ns " "$nd/drivers/$drv/parked")
listed "$buf" && held=1
echo "# unbind of $pfn: exit $urc, fio $([ -n "$early" ] && echo "no longer reading" || echo "still reading");" \
	"still listed: ${held:-no}; parked: ${parked:-nothing}"
wait_for bash -c "! kill -0 $fpid 2>/dev/null" || bail "fio does not end"
wait "$fpid"
frc=$?
fpid=
echo "# fio exit $frc: $(cut -d';' -f1-7 "$tmp/fio" | tail -n 1)"
gone=
wait_for bash -c "! grep -q ' path=$buf\$' $listing" && gone=1
[ -n "$gone" ] || grep " path=$buf\$" "$listing" | sed 's/^/# still listed: /'
# The held file is put just after its line goes.
wait_for umount "$mnt" 2>"$tmp/umount" || sed 's/^/# umount: /' "$tmp/umount" | tail -n 1
released=
wait_for bash -c "! grep -q '^$ns ' $nd/drivers/$drv/parked" && released=1
back=
if [ -n "$released" ] && echo "$pfn" >"$nd/drivers/$drv/bind" && wait_blockdev "$dev" &&
   mount -t "$fs" -o dax=always "/dev/$dev" "$mnt"; then
	back=1
	rm -f "$buf"
fi
echo "# listing dropped the file: ${gone:-no}; released: ${released:-no}; served again: ${back:-no}"
if [ "$urc" = 0 ] && [ -z "$early" ] && [ -n "$held" ] && [ -n "$parked" ] && [ "$frc" = 0 ] &&
   [ -n "$gone" ] && [ -n "$back" ]; then
	tap OK "$what"
else
	kmsg_since "longterm unbind" | grep -E "$drv|parked|released|dax" | tail -n 8 | sed 's/^/# /'
	tap FAIL "$what"
fi
