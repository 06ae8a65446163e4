#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_badinfo: an fsdax namespace whose info block is damaged or
# inconsistent must not be served at all, let alone raw, where a filesystem
# could be made over its old layout.  On the last DAX mount with its memmap
# in pmem (-M dev):
#   1. a file is written and the filesystem unmounted; the pfn device
#      releases the namespace, which is then read raw (force_raw): its info
#      block at 4 KiB is saved, and its checksum recomputed here must match;
#   2. for each damage, the block is written back changed and the namespace
#      bound without force_raw; the driver must refuse it, with a log line
#      naming the problem, and no block device may appear:
#        checksum    a field changed, the checksum left as it was
#        major       version_major 2, an unknown future format
#        npfns       more data pages than the namespace holds
#        dataoff     a data offset past the end of the namespace
#        misaligned  a data offset off the namespace's alignment
#        memmap      a data offset too small for the memmap in front of it
#      all but the first with a valid checksum, as a tool or a stray write
#      that checksummed the block again would leave it;
#   3. the saved block is written back, the namespace bound: the fsdax
#      device comes back, the filesystem mounts and the file is intact.
# nd_pmem trusts some of these blocks (libnvdimm does not check the major
# version, the page count or the memmap's room): for it each case is a SKIP
# that says what it did, except the WARNING that memremap_pages() gives on
# the last, an XFAIL.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
cases="checksum major npfns dataoff misaligned memmap"
echo "TAP version 13"
echo "1..$(($(echo "$cases" | wc -w) + 2))"

m=
for x in $DAXGUP_MOUNTS; do
	case $x in *:*:dev:*) m=$x ;; esac
done
[ -n "$m" ] || m=${DAXGUP_MOUNTS##* }
IFS=: read -r fs mnt map dev drv <<<"$m"
t="$fs/$map/$drv"
nd=/sys/bus/nd
pfn=$(basename "$(readlink "/sys/block/$dev/device")")
ns=$(cat "$nd/devices/$pfn/namespace")
size=$(cat "$nd/devices/$ns/size")
save=/tmp/badinfo.$$ bad=/tmp/badinfo-bad.$$
bail() { echo "Bail out! $*"; exit 1; }

# info CASE IN OUT: write to OUT the info block IN damaged as CASE says
# (CASE "verify": exit 0 if IN's checksum is right).
info() {
	python3 - "$@" "$size" <<'EOF'
import struct, sys
case, src, dst, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
b = bytearray(open(src, 'rb').read(4096))

def checksum():
    # nd_sb_checksum(): fletcher64 over the block, its checksum field zero
    lo = hi = 0
    for (w,) in struct.iter_unpack('<I', bytes(b[:4088]) + bytes(8)):
        lo = (lo + w) & 0xffffffff
        hi = (hi + lo) & 0xffffffffffffffff
    return ((hi << 32) | lo) & 0xffffffffffffffff

if case == 'verify':
    sys.exit(0 if struct.unpack_from('<Q', b, 4088)[0] == checksum() else 1)
dataoff, npfns = struct.unpack_from('<QQ', b, 56)
if case == 'checksum':
    b[64:68] = b'\xde\xad\xbe\xef'
else:
    if case == 'major':
        struct.pack_into('<H', b, 52, 2)
    elif case == 'npfns':
        struct.pack_into('<Q', b, 64, npfns + (1 << 20))
    elif case == 'dataoff':
        struct.pack_into('<Q', b, 56, size + (2 << 20))
    elif case == 'misaligned':
        struct.pack_into('<Q', b, 56, dataoff + 4096)
    elif case == 'memmap':
        struct.pack_into('<Q', b, 56, 2 << 20)
    struct.pack_into('<Q', b, 4088, checksum())
open(dst, 'wb').write(b)
EOF
}

# What the driver must log for each case.
expect() {
	case $1 in
	checksum|dataoff|misaligned) echo "info block at offset 4096 fails validation|info block rejected" ;;
	major) echo "major version 2 is unknown" ;;
	npfns) echo "info block counts [0-9]+ data pages" ;;
	memmap) echo "memmap of [0-9]+ bytes does not fit" ;;
	esac
}

# Let go of the namespace: its pfn device (unbound, claim released), and
# the namespace itself if a driver serves it; force_raw off.
release_ns() {
	local h
	h=$(cat "$nd/devices/$ns/holder" 2>/dev/null)
	if [ -n "$h" ]; then
		[ ! -e "$nd/devices/$h/driver" ] || echo "$h" >"$nd/devices/$h/driver/unbind"
		echo "" >"$nd/devices/$h/namespace"
	fi
	[ ! -e "$nd/devices/$ns/driver" ] || echo "$ns" >"$nd/devices/$ns/driver/unbind"
	echo 0 >"$nd/devices/$ns/force_raw"
}

bind_raw() {
	release_ns
	echo 1 >"$nd/devices/$ns/force_raw"
	echo "$ns" >"$nd/drivers/$drv/bind" && wait_blockdev "$dev" || bail "$ns does not come up raw"
}

# 1. save the info block
xfs_io -f -c "pwrite -q -S 0x6b 0 1m" -c fsync "$mnt/badinfo-keep" || bail "writing $mnt/badinfo-keep"
sum=$(md5sum <"$mnt/badinfo-keep")
umount "$mnt" || bail "umount $mnt"
echo "$pfn" >"$nd/drivers/$drv/unbind" || bail "unbind $pfn"
bind_raw
dd if="/dev/$dev" of="$save" bs=4096 skip=1 count=1 iflag=direct status=none || bail "reading the info block"
[ "$(head -c 15 "$save")" = NVDIMM_PFN_INFO ] || bail "no fsdax info block at 4 KiB of $ns"
if info verify "$save" -; then
	tap OK "$t: the info block of $ns saved, its checksum recomputed here matches"
else
	tap FAIL "$t: the info block of $ns saved, its checksum recomputed here matches"
	bail "cannot make checksummed info blocks"
fi

# 2. each damage
for c in $cases; do
	info "$c" "$save" "$bad"
	dd if="$bad" of="/dev/$dev" bs=4096 seek=1 conv=notrunc,fsync oflag=direct status=none ||
		bail "writing the $c info block"
	release_ns
	kmsg_mark "badinfo $c"
	echo "$ns" >"$nd/drivers/$drv/bind" 2>/dev/null
	sleep 1
	served=absent
	[ -b "/dev/$dev" ] && served="served ($(basename "$(readlink -f "/sys/block/$dev/device")"))"
	log=$(kmsg_since "badinfo $c")
	said=$(echo "$log" | grep -E -m1 "$(expect "$c")")
	what="$t: an info block with damage '$c' is refused, with a log line saying so"
	if [ "$drv" = nd_pmem ] && [ "$c" = memmap ] && echo "$log" | grep -q "WARNING: .* add_pages"; then
		# libnvdimm lets the block through, memremap_pages() finds no room
		# for the memmap in the altmap
		allow_report "WARNING: .* add_pages"
		tap XFAIL "$what" "nd_pmem: 6.12 trusts the block, memremap_pages() then fails with a WARNING in add_pages(); /dev/$dev $served"
	elif [ "$drv" = nd_pmem ]; then
		first=$(echo "$log" | grep -E -m1 -i "pfn[0-9]|nd_pmem|info block|memmap" | sed 's/^\[[^]]*\] //')
		tap SKIP "$what" "nd_pmem: /dev/$dev $served${first:+; logged: $first}"
	elif [ "$served" = absent ] && [ -n "$said" ]; then
		echo "# ${said#*] }"
		tap OK "$what"
	else
		echo "$log" | tail -n 5 | sed 's/^/# /'
		echo "# /dev/$dev $served"
		tap FAIL "$what"
	fi
	bind_raw
done

# 3. restore the block and the filesystem
dd if="$save" of="/dev/$dev" bs=4096 seek=1 conv=notrunc,fsync oflag=direct status=none || bail "restoring the info block"
release_ns
echo "$ns" >"$nd/drivers/$drv/bind" 2>/dev/null
ok=0
if wait_blockdev "$dev" && mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" &&
   [ "$(md5sum <"$mnt/badinfo-keep")" = "$sum" ] &&
   grep -q "^/dev/$dev $mnt .*dax=always" /proc/mounts; then
	ok=1
fi
rm -f "$save" "$bad" "$mnt/badinfo-keep"
if [ $ok = 1 ]; then
	tap OK "$t: with the info block restored the fsdax namespace, its filesystem and the file come back"
else
	tap FAIL "$t: with the info block restored the fsdax namespace, its filesystem and the file come back"
fi
