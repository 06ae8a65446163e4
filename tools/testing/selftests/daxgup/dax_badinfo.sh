#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_badinfo: an fsdax namespace whose info block is corrupt must not be
# served at all, let alone raw, where a filesystem could be made over its
# old layout.  On the last DAX mount of the lab:
#   1. a file is written and the filesystem unmounted;
#   2. the pfn device is unbound and releases the namespace; with force_raw
#      the namespace is served raw, the info block at 4 KiB is saved and
#      corrupted behind its signature (the checksum no longer matches);
#   3. without force_raw the namespace is bound again: the driver must
#      refuse it, with a log line naming the info block, and no block device
#      may appear;
#   4. the saved info block is written back, the namespace is bound, the
#      fsdax device comes back, the filesystem mounts and the file is intact.
# nd_pmem serves such a namespace raw (libnvdimm treats an invalid info
# block as none): for it, step 3 is reported as SKIP with that behaviour.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
echo "TAP version 13"
echo "1..3"

m=${DAXGUP_MOUNTS##* }
IFS=: read -r fs mnt map dev drv <<<"$m"
nd=/sys/bus/nd
pfn=$(basename "$(readlink "/sys/block/$dev/device")")
ns=$(cat "$nd/devices/$pfn/namespace")
save=/tmp/badinfo.$$
bail() { echo "Bail out! $*"; exit 1; }

# Unbind the namespace device if a driver has it, and clear force_raw.
unbind_ns() {
	[ ! -e "$nd/devices/$ns/driver" ] || echo "$ns" >"$nd/drivers/$drv/unbind"
	echo 0 >"$nd/devices/$ns/force_raw"
}

# 1. a file to find again
xfs_io -f -c "pwrite -q -S 0x6b 0 1m" -c fsync "$mnt/badinfo-keep" || bail "writing $mnt/badinfo-keep"
sum=$(md5sum <"$mnt/badinfo-keep")
umount "$mnt" || bail "umount $mnt"

# 2. raw access to the namespace, save and corrupt the info block
echo "$pfn" >"$nd/drivers/$drv/unbind" || bail "unbind $pfn"
echo "" >"$nd/devices/$pfn/namespace" || bail "cannot release $ns from $pfn"
echo 1 >"$nd/devices/$ns/force_raw"
echo "$ns" >"$nd/drivers/$drv/bind" && wait_blockdev "$dev" || bail "$ns does not come up raw"
dd if="/dev/$dev" of="$save" bs=4096 skip=1 count=1 iflag=direct status=none || bail "reading the info block"
[ "$(head -c 15 "$save")" = NVDIMM_PFN_INFO ] || bail "no fsdax info block at 4 KiB of $ns"
# byte 64 lies inside the checksummed block, past the signature
printf '\xde\xad\xbe\xef' | dd of="/dev/$dev" bs=1 seek=$((4096 + 64)) conv=notrunc,fsync status=none ||
	bail "corrupting the info block"
echo "$ns" >"$nd/drivers/$drv/unbind"
echo 0 >"$nd/devices/$ns/force_raw"
echo "ok 1 $fs/$map/$drv: info block of $ns saved and corrupted behind its signature"

# 3. bound again without force_raw: refused
dmesg -c >/dev/null
echo "$ns" >"$nd/drivers/$drv/bind" 2>/dev/null
rc=$?
sleep 1
if [ "$drv" = nd_pmem ]; then
	if [ -b "/dev/$dev" ]; then
		echo "ok 2 # SKIP $drv: serves $ns raw although its info block fails validation (libnvdimm treats it as absent)"
	else
		echo "ok 2 # SKIP $drv: did not serve $ns (bind exit $rc)"
	fi
elif [ $rc -ne 0 ] && [ ! -b "/dev/$dev" ] && dmesg | grep -q "info block at offset 4096 fails validation"; then
	echo "ok 2 $fs/$map/$drv: a namespace with a corrupt info block is refused, with a clear log line"
else
	dmesg | tail -n 5 | sed 's/^/# /'
	echo "# bind exit $rc; /dev/$dev $([ -b "/dev/$dev" ] && echo exists || echo absent)"
	echo "not ok 2 $fs/$map/$drv: a namespace with a corrupt info block is refused, with a clear log line"
fi

# 4. restore the block and the filesystem
unbind_ns
echo 1 >"$nd/devices/$ns/force_raw"
echo "$ns" >"$nd/drivers/$drv/bind" && wait_blockdev "$dev" || bail "$ns does not come up raw to be repaired"
dd if="$save" of="/dev/$dev" bs=4096 seek=1 conv=notrunc,fsync oflag=direct status=none || bail "restoring the info block"
echo "$ns" >"$nd/drivers/$drv/unbind"
echo 0 >"$nd/devices/$ns/force_raw"
echo "$ns" >"$nd/drivers/$drv/bind" 2>/dev/null
ok=0
if wait_blockdev "$dev" && mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" &&
   [ "$(md5sum <"$mnt/badinfo-keep")" = "$sum" ] &&
   grep -q "^/dev/$dev $mnt .*dax=always" /proc/mounts; then
	ok=1
fi
rm -f "$save" "$mnt/badinfo-keep"
if [ $ok = 1 ]; then
	echo "ok 3 $fs/$map/$drv: with the info block restored the fsdax namespace, its filesystem and the file come back"
else
	echo "not ok 3 $fs/$map/$drv: with the info block restored the fsdax namespace, its filesystem and the file come back"
fi
