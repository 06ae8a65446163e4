#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_blk: the block device side of each DAX namespace, with whichever
# driver serves it.  Per mounted DAX filesystem:
#   1. the write cache is on and FUA is offered exactly when the region has
#      a flush mechanism of its own (regionX/deep_flush);
#   2. an fsync of the block device reaches nvdimm_flush() (a kprobe counts
#      the calls made by that process; SKIP without CONFIG_KPROBE_EVENTS);
#   3-7. a bad 4 KiB block injected under a file through
#      /sys/block/pmemX/badblocks is listed there, fails an O_DIRECT read of
#      the block device, a read() of the file and a load through its DAX
#      mapping (SIGBUS), while the blocks around it still read; a write over
#      it clears it when the bus can clear media errors (ars_cap and
#      clear_error in ndbusX/commands) and otherwise fails and leaves the
#      block marked bad;
#   8. with the filesystem unmounted, an O_DIRECT|O_DSYNC write reaches
#      nvdimm_flush() and a plain O_DIRECT write does not (kprobe again);
#   9. bound again, the namespace has no bad blocks left, the filesystem
#      mounts and the whole file reads.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
echo "TAP version 13"
per=9
echo "1..$(($(echo "$DAXGUP_MOUNTS" | wc -w) * per))"

nd=/sys/bus/nd
trc=/sys/kernel/tracing

# A kprobe on nvdimm_flush(), if this kernel has kprobe events.
[ -e "$trc/kprobe_events" ] || mount -t tracefs nodev "$trc" 2>/dev/null
kprobe=
if [ -w "$trc/kprobe_events" ] &&
   echo 'p:daxgup/nvflush nvdimm_flush' >>"$trc/kprobe_events" 2>/dev/null; then
	echo 1 >"$trc/events/daxgup/nvflush/enable" && kprobe=1
fi
nokprobe="no kprobe events in this kernel (CONFIG_KPROBE_EVENTS) to see nvdimm_flush() calls"
cleanup() {
	[ -z "$kprobe" ] && return
	echo 0 >"$trc/events/daxgup/nvflush/enable"
	echo '-:daxgup/nvflush' >>"$trc/kprobe_events"
}
trap cleanup EXIT

# flushes CMD...: run the program CMD, print how many times it (its pid)
# called nvdimm_flush()
flushes() {
	local pid
	echo >"$trc/trace"
	"$@" &
	pid=$!
	wait $pid || return 1
	grep -cE -- "-$pid +\[[0-9]+\]" "$trc/trace"
}

# The bus clears media errors only with both commands.
cmds=$(cat "$nd"/devices/ndbus*/commands 2>/dev/null)
canclear=0
case " $cmds " in *" ars_cap "*" clear_error "*) canclear=1 ;; esac
echo "# bus commands: ${cmds:-none}; clears media errors: $canclear"

for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	t="$fs/$map/$drv"
	q=/sys/block/$dev/queue
	pfn=$(basename "$(readlink -f "/sys/block/$dev/device")")
	ns=$(cat "$nd/devices/$pfn/namespace")
	region=$(basename "$(dirname "$(readlink -f "$nd/devices/$ns")")")

	# 1. write cache and FUA
	deep=$(cat "$nd/devices/$region/deep_flush" 2>/dev/null || echo 0)
	wc=$(cat "$q/write_cache") fua=$(cat "$q/fua")
	echo "# $dev ($ns, $region): write_cache '$wc', fua $fua, deep_flush $deep"
	if [ "$wc" = "write back" ] && [ "$fua" = "$deep" ]; then
		tap OK "$t: write cache on, FUA offered as the region flushes ($deep)"
	else
		tap FAIL "$t: write cache on, FUA offered as the region flushes ($deep)"
	fi

	# 2. a flush of the block device reaches the region
	if [ -z "$kprobe" ]; then
		tap SKIP "$t: fsync of /dev/$dev calls nvdimm_flush()" "$nokprobe"
	else
		c=$(flushes sync "/dev/$dev")
		echo "# fsync of /dev/$dev: ${c:-?} nvdimm_flush() calls"
		if [ "${c:-0}" -ge 1 ]; then
			tap OK "$t: fsync of /dev/$dev calls nvdimm_flush()"
		else
			tap FAIL "$t: fsync of /dev/$dev calls nvdimm_flush()"
		fi
	fi

	# 3. a bad block under the fifth 4 KiB block of a 64 KiB file
	f=$mnt/blk-bad
	rm -f "$f"
	xfs_io -f -c "pwrite -q -S 0x5a 0 64k" -c fsync "$f"
	sum=$(md5sum <"$f")
	ext=$(xfs_io -c fiemap "$f" | awk 'NR == 2 { print $2, $3 }')
	read -r lrange prange <<<"$ext"
	start=${prange%%..*} end=${prange##*..}
	if [ "$lrange" != "[0..127]:" ] || [ $((end - start)) != 127 ] || [ $((start % 8)) != 0 ]; then
		echo "# fiemap of $f: '$ext'"
		echo "Bail out! $f is not one 4 KiB-aligned extent"
		exit 1
	fi
	bad=$((start + 32))
	echo "$bad 8" >"/sys/block/$dev/badblocks"
	if grep -q "^$bad 8$" "/sys/block/$dev/badblocks"; then
		tap OK "$t: a bad block injected at sector $bad is listed in /sys/block/$dev/badblocks"
	else
		sed 's/^/# badblocks: /' "/sys/block/$dev/badblocks"
		tap FAIL "$t: a bad block injected at sector $bad is listed in /sys/block/$dev/badblocks"
	fi

	# 4. the block device: the bad block fails, its neighbour reads
	rbad=$(dd if="/dev/$dev" of=/dev/null bs=4096 skip=$((bad / 8)) count=1 iflag=direct 2>&1)
	rbadrc=$?
	if [ $rbadrc -ne 0 ] && [[ $rbad == *"Input/output error"* ]] &&
	   dd if="/dev/$dev" of=/dev/null bs=4096 skip=$((bad / 8 + 1)) count=1 iflag=direct status=none; then
		tap OK "$t: O_DIRECT read of the bad block of /dev/$dev fails with EIO, the next block reads"
	else
		echo "# dd exit $rbadrc: $rbad"
		tap FAIL "$t: O_DIRECT read of the bad block of /dev/$dev fails with EIO, the next block reads"
	fi

	# 5. read() through DAX
	rbad=$(dd if="$f" of=/dev/null bs=4096 skip=4 count=1 2>&1)
	rbadrc=$?
	if [ $rbadrc -ne 0 ] && [[ $rbad == *"Input/output error"* ]] &&
	   dd if="$f" of=/dev/null bs=4096 count=4 status=none &&
	   dd if="$f" of=/dev/null bs=4096 skip=5 status=none; then
		tap OK "$t: read() of the file's bad block fails with EIO, its other blocks read"
	else
		echo "# dd exit $rbadrc: $rbad"
		tap FAIL "$t: read() of the file's bad block fails with EIO, its other blocks read"
	fi

	# 6. a load through the DAX mapping
	# (in a shell of its own, whose report of the signal goes nowhere)
	mbad=$(sh -c 'xfs_io -r -c "mmap -r 0 64k" -c "mread 16k 4k" "$1" >/dev/null 2>&1; echo $?' \
		sh "$f" 2>/dev/null)
	if [ $mbad -eq $((128 + 7)) ] &&
	   xfs_io -r -c "mmap -r 0 64k" -c "mread 0 16k" -c "mread 20k 44k" "$f" >/dev/null 2>&1; then
		tap OK "$t: a load from the bad page of a DAX mapping raises SIGBUS, the other pages load"
	else
		echo "# mread of the bad page: exit $mbad (SIGBUS is 135)"
		tap FAIL "$t: a load from the bad page of a DAX mapping raises SIGBUS, the other pages load"
	fi

	# 7. a write over the bad block
	wbad=$(dd if=/dev/zero of="$f" bs=4096 seek=4 count=1 conv=notrunc 2>&1)
	wbadrc=$?
	if [ $canclear = 1 ]; then
		what="a write over the bad block clears it (the bus clears media errors)"
		if [ $wbadrc -eq 0 ] && ! grep -q "^$bad " "/sys/block/$dev/badblocks" &&
		   dd if="$f" of=/dev/null bs=4096 skip=4 count=1 status=none; then
			tap OK "$t: $what"
		else
			echo "# dd exit $wbadrc: $(echo "$wbad" | grep -m1 '^dd:')"
			tap FAIL "$t: $what"
		fi
	else
		what="a write over the bad block fails and it stays bad (the bus cannot clear media errors)"
		if [ $wbadrc -ne 0 ] && grep -q "^$bad 8$" "/sys/block/$dev/badblocks"; then
			echo "# the write: $(echo "$wbad" | grep -m1 '^dd:')"
			tap OK "$t: $what"
		else
			echo "# dd exit $wbadrc: $(echo "$wbad" | grep -m1 '^dd:')"
			tap FAIL "$t: $what"
		fi
	fi

	# 8. unmounted: which writes flush
	umount "$mnt" || { echo "Bail out! umount $mnt"; exit 1; }
	if [ -z "$kprobe" ]; then
		tap SKIP "$t: O_DIRECT|O_DSYNC writes call nvdimm_flush(), plain O_DIRECT writes do not" "$nokprobe"
	else
		blk=/tmp/blk-last.$$
		last=$(($(blockdev --getsz "/dev/$dev") / 8 - 1))
		dd if="/dev/$dev" of="$blk" bs=4096 skip=$last count=1 iflag=direct status=none
		wr=(dd if="$blk" of="/dev/$dev" bs=4096 seek="$last" count=1 conv=notrunc status=none)
		plain=$(flushes "${wr[@]}" oflag=direct)
		dsync=$(flushes "${wr[@]}" oflag=direct,dsync)
		rm -f "$blk"
		echo "# nvdimm_flush() calls: O_DIRECT write ${plain:-?}, O_DIRECT|O_DSYNC write ${dsync:-?}"
		if [ "${plain:-x}" = 0 ] && [ "${dsync:-0}" -ge 1 ]; then
			tap OK "$t: O_DIRECT|O_DSYNC writes call nvdimm_flush(), plain O_DIRECT writes do not"
		else
			tap FAIL "$t: O_DIRECT|O_DSYNC writes call nvdimm_flush(), plain O_DIRECT writes do not"
		fi
	fi

	# 9. bound again: the injected entry is gone with the old device
	echo "$pfn" >"$nd/drivers/$drv/unbind"
	echo "$pfn" >"$nd/drivers/$drv/bind"
	if wait_blockdev "$dev" && [ -z "$(cat "/sys/block/$dev/badblocks")" ] &&
	   mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" &&
	   dd if="$f" of=/dev/null bs=4096 status=none &&
	   { [ $wbadrc -eq 0 ] || [ "$(md5sum <"$f")" = "$sum" ]; }; then
		tap OK "$t: bound again, no bad blocks are left, the filesystem mounts and the file reads (unchanged if no write reached it)"
	else
		tap FAIL "$t: bound again, no bad blocks are left, the filesystem mounts and the file reads (unchanged if no write reached it)"
		grep -q " $mnt " /proc/mounts || { echo "Bail out! $mnt is not mounted again"; exit 1; }
	fi
	rm -f "$f"
done
