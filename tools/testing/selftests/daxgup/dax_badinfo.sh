#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_badinfo: an fsdax namespace whose info block is damaged, inconsistent
# or unreadable must not be served at all, let alone raw, where a
# filesystem could be made over its old layout, and refusing it must
# change nothing on the media.  On the last DAX mount with its memmap in
# pmem (-M dev):
#   1. a file is written and the filesystem unmounted; the pfn device
#      releases the namespace, which is then read raw (force_raw): its info
#      block at 4 KiB is saved, and its checksum recomputed here must match;
#   2. for each case below, the block is written back damaged, the start
#      of the namespace (info block, memmap, first 2 MiB of data) is hashed
#      and the namespace bound without force_raw; the driver must refuse
#      it, with a log line naming the problem, no device may serve it, and
#      the same bytes must hash the same afterwards (a case that changed
#      them has them written back from a copy).  All but "checksum" and
#      the pfn_checksum have a valid checksum, as a tool or a stray write
#      that checksummed the block again would leave it:
#        checksum     a field changed, the checksum left as it was
#        major        version_major 2, an unknown future format
#        minor        version 1.5, newer than this kernel's 1.4
#        npfns        more data pages than the namespace holds
#        npfns_short  fewer data pages than the data offset leaves
#        dataoff      a data offset past the end of the namespace
#        misaligned   a data offset off the namespace's alignment
#        memmap       a data offset too small for the memmap in front of it
#        memmap_tight 4 KiB alignment and a data offset that holds the
#                     struct pages but not the room nd_pfn_init() reserves
#                     (the vmemmap's 2 MiB blocks would not fit: add_pages()
#                     would fail with a WARNING)
#        flags        a flag set where version 1.3+ defines none
#        padding      a reserved byte set
#        page_size    2 KiB pages
#        align        a 1 MiB mapping alignment (this kernel maps 4K, 2M, 1G)
#        unreadable   the block intact, but a media error under it
#        grown        the data offset 2 MiB further (its page count not),
#                     and a media error in the first data page: libnvdimm
#                     zeroes bad sectors up to the data offset when it sets
#                     the memmap up, so that block must be judged first
#        memmap_error the block intact, a media error in the memmap area
#                     that the platform (QEMU) cannot clear: 6.12's libnvdimm
#                     takes the failed clear for a success and retries it
#                     forever in the probe; the driver must clear it first
#                     and refuse the namespace when it cannot
#      and through the pfn device, as ndctl enable-namespace binds it
#      again, where libnvdimm writes a new info block over one that fails
#      its checks with -ENODEV:
#        pfn_checksum a field changed, the checksum left as it was
#        pfn_uuid     a uuid other than the pfn device's
#        pfn_parent   the parent uuid of another namespace
#   3. the saved block is written back, the namespace bound: the fsdax
#      device comes back, the filesystem mounts and the file is intact.
# OPS=case,case (make check) runs only those.
# The media errors come from the helper module daxgup_badrange.ko (QEMU's
# NFIT cannot inject any); without it those two cases are SKIP.
# nd_pmem trusts some of these blocks (libnvdimm does not check the major
# version, the page count or the memmap's room, and it rewrites or zeroes
# what it should not): for it each case is a SKIP that says what it did,
# except the WARNING that memremap_pages() gives on "memmap", an XFAIL,
# "memmap_tight", SKIP without running: its failed memremap_pages() leaves
# the namespace unusable until reboot, and "grown" and "memmap_error",
# SKIP without running: they hang its probe, and with it the guest's
# driver core.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
cases="checksum major minor npfns npfns_short dataoff misaligned memmap memmap_tight flags padding"
cases="$cases page_size align unreadable grown memmap_error pfn_checksum pfn_uuid pfn_parent"
# make check OPS=a,b: only those cases
[ -z "${DAXGUP_OPS:-}" ] || cases=$(echo "$DAXGUP_OPS" | tr , ' ')
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
save=/tmp/badinfo.$$ bad=/tmp/badinfo-bad.$$ snap=/tmp/badinfo-snap.$$
bail() { echo "Bail out! $*"; exit 1; }

# info CASE IN OUT: write to OUT the info block IN damaged as CASE says
# (CASE "verify": exit 0 if IN's checksum is right; "dataoff": print it).
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
# struct nd_pfn_sb: signature 0, uuid 16, parent_uuid 32, flags 48,
# version_major 52, version_minor 54, dataoff 56, npfns 64, mode 72,
# start_pad 76, end_trunc 80, align 84, page_size 88, page_struct_size 92,
# padding 94..4087, checksum 4088
dataoff, npfns, mode, start_pad, end_trunc, align = struct.unpack_from('<QQIIII', b, 56)
if case == 'fields':
    u = b[16:32].hex()
    print(dataoff, '-'.join((u[:8], u[8:12], u[12:16], u[16:20], u[20:])),
          {1: 'ram', 2: 'pmem'}.get(mode, mode), align)
    sys.exit(0)
fix = True
if case in ('checksum', 'pfn_checksum'):
    b[64:68] = b'\xde\xad\xbe\xef'
    fix = False
elif case == 'major':
    struct.pack_into('<H', b, 52, 2)
elif case == 'minor':
    struct.pack_into('<H', b, 54, 5)
elif case == 'npfns':
    struct.pack_into('<Q', b, 64, npfns + (1 << 20))
elif case == 'npfns_short':
    struct.pack_into('<Q', b, 64, npfns - 1)
elif case == 'dataoff':
    struct.pack_into('<Q', b, 56, size + (2 << 20))
elif case == 'misaligned':
    struct.pack_into('<Q', b, 56, dataoff + 4096)
elif case == 'memmap':
    # consistent otherwise: the page count the smaller offset leaves
    struct.pack_into('<QQ', b, 56, 2 << 20, (size - end_trunc - (2 << 20)) >> 12)
elif case == 'memmap_tight':
    # the struct pages of every page after the first 8 KiB, to a page
    off = 8192 + ((((size - 8192) >> 12) * 64 + 4095) & ~4095)
    struct.pack_into('<QQ', b, 56, off, (size - end_trunc - off) >> 12)
    struct.pack_into('<I', b, 84, 4096)
elif case == 'flags':
    struct.pack_into('<I', b, 48, 1)
elif case == 'padding':
    b[100] = 1
elif case == 'page_size':
    struct.pack_into('<I', b, 88, 2048)
elif case == 'align':
    struct.pack_into('<I', b, 84, 1 << 20)
elif case == 'grown':
    struct.pack_into('<Q', b, 56, dataoff + (2 << 20))
elif case == 'pfn_uuid':
    b[16] ^= 0xff
elif case == 'pfn_parent':
    b[32] ^= 0xff
elif case != 'unreadable':
    sys.exit('unknown case ' + case)
if fix:
    struct.pack_into('<Q', b, 4088, checksum())
open(dst, 'wb').write(b)
EOF
}

# What daxgup_pmem must log for each case.
expect() {
	case $1 in
	checksum|unreadable) echo "info block at offset 4096 fails validation|unreadable at offset 4096" ;;
	major) echo "major version 2 is unknown" ;;
	minor) echo "version 1\\.5 is newer than 1\\.4" ;;
	npfns|npfns_short|grown) echo "info block counts [0-9]+ data pages, its data offset leaves" ;;
	dataoff|misaligned) echo "fsdax info block rejected" ;;
	memmap|memmap_tight) echo "memmap of [0-9]+ bytes does not fit" ;;
	flags) echo "info block flags 0x1: no flag is defined" ;;
	padding) echo "has reserved byte 100 set" ;;
	page_size) echo "info block page size 2048" ;;
	align) echo "alignment 0x100000 is not one this kernel maps" ;;
	pfn_checksum) echo "info block checksum 0x[0-9a-f]+ does not match its content" ;;
	pfn_uuid) echo "info block uuid [-0-9a-f]+ is not" ;;
	pfn_parent) echo "info block belongs to namespace [-0-9a-f]+, not to $ns" ;;
	memmap_error) echo "in the memmap area, which the platform cannot clear" ;;
	esac
}

# Where a case puts a media error (byte offset into the namespace), if any.
badrange_at() {
	case $1 in
	unreadable) echo 4096 ;;
	grown) echo $((dataoff + 4096)) ;;
	memmap_error) echo 12288 ;;
	esac
}

bind_raw() {
	release_ns "$ns"
	echo 1 >"$nd/devices/$ns/force_raw"
	echo "$ns" >"$nd/drivers/$drv/bind" && wait_blockdev "$dev" || bail "$ns does not come up raw"
}

# badrange add|forget OFFSET: a media error of 512 bytes at OFFSET of the
# (released) namespace, through the helper module.
badrange_mod=$(dirname "${DAXGUP_MODULE:-/nonexistent}")/badrange/daxgup_badrange.ko
have_badrange=0
if [ -d /sys/module/daxgup_badrange ] || insmod "$badrange_mod" 2>/dev/null; then
	have_badrange=1
fi
badrange() {
	local p=/sys/module/daxgup_badrange/parameters
	echo "$ns" >"$p/target" && echo "$1" >"$p/action" && echo "$2" >"$p/offset" || return 1
	# the helper never binds: ENODEV is its success
	echo "$ns" >"$nd/drivers/daxgup_badrange/bind" 2>/dev/null
	echo "" >"$p/target"
	dmesg | tail -n 3 | grep -q "daxgup_badrange.*: $([ "$1" = add ] && echo added || echo forgot) media error"
}

# pfn_bind: bind a pfn device set up as the saved block says, as ndctl
# enable-namespace binds one again: the region's pfn seed with the block's
# uuid, memmap mode and alignment, and the namespace
pfn_bind() {
	local seed
	seed=$(cat "$nd/devices/$ns/../pfn_seed") &&
	echo "$uuid" >"$nd/devices/$seed/uuid" &&
	echo "$mode" >"$nd/devices/$seed/mode" &&
	echo "$align" >"$nd/devices/$seed/align" &&
	echo "$ns" >"$nd/devices/$seed/namespace" || { echo "# cannot set $seed up"; return 1; }
	echo "$seed" >"$nd/drivers/$drv/bind" 2>/dev/null
}

# served: which device serves the namespace now, or "absent"
served() {
	local h d
	h=$(cat "$nd/devices/$ns/holder" 2>/dev/null)
	for d in $ns $h; do
		if [ -e "$nd/devices/$d/driver" ]; then
			echo "$d by $(basename "$(readlink "$nd/devices/$d/driver")")${dev:+, /dev/$dev $([ -b "/dev/$dev" ] && echo present || echo absent)}"
			return
		fi
	done
	if [ -b "/dev/$dev" ]; then echo "/dev/$dev"; else echo absent; fi
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
read -r dataoff uuid mode align <<<"$(info fields "$save" -)"
# The bytes a refusal must leave alone: the first MiB of the namespace
# (its info block and the start of a memmap in pmem) and the first MiB of
# its data (where "grown" puts a media error).
[ $((dataoff % (1 << 20))) = 0 ] || bail "data offset $dataoff of $ns is not MiB aligned"
snap_read() {
	{ dd if="/dev/$dev" bs=1M count=1 iflag=direct status=none &&
	  dd if="/dev/$dev" bs=1M skip=$((dataoff >> 20)) count=1 iflag=direct status=none; } >"$1"
}
snap_write() {
	dd if="$1" of="/dev/$dev" bs=1M count=1 conv=notrunc,fsync oflag=direct status=none &&
	dd if="$1" of="/dev/$dev" bs=1M skip=1 seek=$((dataoff >> 20)) count=1 \
		conv=notrunc,fsync oflag=direct status=none
}

# 2. each damage
for c in $cases; do
	what="$t: an info block with damage '$c' is refused, with a log line saying so, and nothing on the media changes"
	at=$(badrange_at "$c")
	if [ -n "$at" ] && [ $have_badrange = 0 ]; then
		tap SKIP "$what" "no $badrange_mod to put a media error under it"
		continue
	fi
	if [ "$drv" = nd_pmem ] && [ "$c" = memmap_tight ]; then
		tap SKIP "$what" "not run with nd_pmem: it trusts the block, memremap_pages() fails in add_pages(), and its error path leaves the range half set up (WARNING: failed to free all reserved pages): every later probe of the namespace fails with EEXIST until reboot (seen on the patched kernel, whose series does not change that path)"
		continue
	fi
	if [ "$drv" = nd_pmem ] && { [ "$c" = grown ] || [ "$c" = memmap_error ]; }; then
		tap SKIP "$what" "not run with nd_pmem: 6.12's nd_pfn_clear_memmap_errors() zeroes the page under a media error below the data offset the block names, and retries one it cannot clear forever (nsio_rw_bytes() compares the negative error of nvdimm_clear_poison() with an unsigned size): the probe would never return"
		continue
	fi
	case $c in unreadable|memmap_error) cp "$save" "$bad" ;; *) info "$c" "$save" "$bad" ;; esac
	dd if="$bad" of="/dev/$dev" bs=4096 seek=1 conv=notrunc,fsync oflag=direct status=none ||
		bail "writing the $c info block"
	snap_read "$snap" || bail "reading $ns"
	before=$(md5sum <"$snap")
	release_ns "$ns"
	if [ -n "$at" ]; then
		badrange add "$at" || bail "cannot put a media error at $at of $ns"
	fi
	kmsg_mark "badinfo $c"
	case $c in
	pfn_*)	pfn_bind ;;
	*)	echo "$ns" >"$nd/drivers/$drv/bind" 2>/dev/null ;;
	esac
	# the pfn device libnvdimm may register is probed asynchronously
	cat "$nd"/devices/ndbus*/wait_probe >/dev/null 2>&1
	sleep 0.5
	now=$(served)
	log=$(kmsg_since "badinfo $c")
	release_ns "$ns"
	if [ -n "$at" ]; then
		badrange forget "$at" || bail "cannot take the media error at $at of $ns away again"
	fi
	bind_raw
	snap_read "$snap.after" || bail "reading $ns"
	changed=
	if [ "$(md5sum <"$snap.after")" != "$before" ]; then
		changed="$ns changed: $(cmp "$snap" "$snap.after" | sed 's/.*: //')"
		snap_write "$snap" || bail "writing back what changed on $ns"
	fi
	said=$(echo "$log" | grep -E -m1 "$(expect "$c")")
	refused=$(echo "$log" | grep -m1 "refused, nothing written to it")
	if [ "$drv" = nd_pmem ] && [ "${c#memmap}" != "$c" ] && echo "$log" | grep -q "WARNING: .* add_pages"; then
		# libnvdimm lets the block through, memremap_pages() finds no room
		# for the memmap in the altmap
		allow_report "WARNING: .* add_pages"
		tap XFAIL "$what" "nd_pmem: 6.12 trusts the block, memremap_pages() then fails with a WARNING in add_pages(); served: $now${changed:+; $changed}"
	elif [ "$drv" = nd_pmem ]; then
		first=$(echo "$log" | grep -E -m1 -i "pfn[0-9]|nd_pmem|info block|memmap|pmem[0-9]" |
			grep -v "daxgup mark" | sed 's/^\[[^]]*\] //')
		tap SKIP "$what" "nd_pmem: served: $now${changed:+; $changed}${first:+; logged: $first}"
	elif [ "$now" = absent ] && [ -n "$said" ] && [ -n "$refused" ] && [ -z "$changed" ]; then
		echo "# ${said#*] }"
		tap OK "$what"
	else
		echo "$log" | grep -v "daxgup mark" | tail -n 6 | sed 's/^/# /'
		echo "# served: $now; expected log line: $([ -n "$said" ] && echo found || echo missing);" \
			"refusal line: $([ -n "$refused" ] && echo found || echo missing)${changed:+; $changed}"
		tap FAIL "$what"
	fi
done

# 3. restore the block and the filesystem
dd if="$save" of="/dev/$dev" bs=4096 seek=1 conv=notrunc,fsync oflag=direct status=none || bail "restoring the info block"
release_ns "$ns"
echo "$ns" >"$nd/drivers/$drv/bind" 2>/dev/null
ok=0
if wait_blockdev "$dev" && mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" &&
   [ "$(md5sum <"$mnt/badinfo-keep")" = "$sum" ] &&
   grep -q "^/dev/$dev $mnt .*dax=always" /proc/mounts; then
	ok=1
fi
rm -f "$save" "$bad" "$snap" "$snap.after" "$mnt/badinfo-keep"
if [ $ok = 1 ]; then
	tap OK "$t: with the info block restored the fsdax namespace, its filesystem and the file come back"
else
	tap FAIL "$t: with the info block restored the fsdax namespace, its filesystem and the file come back"
fi
