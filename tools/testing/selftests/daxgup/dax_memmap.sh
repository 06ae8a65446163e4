#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_memmap: legacy pmem, a memmap=SIZE!ADDR region of the kernel command
# line (e820 type 12, "Persistent Memory (legacy)"), the most common way to
# try pmem without NVDIMMs.  The boot has one (DAXGUP_BOOT_MEMMAP in the
# suite line) besides the NVDIMMs; nd_e820 makes it a region with one raw
# namespace, which the driver under test serves like nd_pmem does: a block
# device with DAX and struct pages (an FS_DAX pagemap, its memmap in RAM).
#   1. nd_e820 loaded, the namespace of the memmap= region is served by
#      the driver, all of it, with DAX on its queue and a dax device;
#   2. ext4 mounts on it with -o dax=always and a new file is DAX (statx);
#   then the lab's DAX tests run on that mount (DAXGUP_MOUNTS names only
#   it), their results relayed here with "memmap: " in front:
#   dax_odirect (O_DIRECT into and out of its DAX mapping: GUP of its
#   pages) and gup_dax (gup_test over its mapping, SKIP without
#   CONFIG_GUP_TEST);
#   last, removal under a pin: the namespace is unbound while an O_DIRECT
#   read from a slow device (dm-delay, 20 s) into a DAX mapping of a file
#   on it is in flight; the unbind must return with the read in flight,
#   the memory be parked until the read lands, then released, and the
#   namespace served and mounted again.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
echo "TAP version 13"
nd=/sys/bus/nd
drv=${DAXGUP_DRIVER:-daxgup_pmem}
tmp=/tmp/dax_memmap.$$
mkdir -p "$tmp"
hang=$((90 * ${DAXGUP_TIMEOUT_SCALE:-1}))
bail() { echo "Bail out! $*"; exit 1; }
memmap=$(sed -n 's/.*\<memmap=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$memmap" ] || bail "no memmap= on the kernel command line (DAXGUP_BOOT_MEMMAP in the suite line)"

# 1. the region and its namespace
modprobe nd_e820 || bail "modprobe nd_e820"
cat "$nd"/devices/ndbus*/wait_probe >/dev/null 2>&1
ns=
for d in "$nd"/devices/namespace*; do
	[ "$(cat "$(readlink -f "$d")/../../provider" 2>/dev/null)" = e820 ] && ns=$(basename "$d")
done
[ -n "$ns" ] || bail "no namespace on the e820 bus after nd_e820 (memmap=$memmap)"
size=$(cat "$nd/devices/$ns/size")
start=$(cat "$nd/devices/$ns/resource")
by=$(basename "$(readlink "$nd/devices/$ns/driver" 2>/dev/null)")
dev=$(ls "$nd/devices/$ns/block" 2>/dev/null)
echo "# memmap=$memmap: $ns at $(printf '%#x' "$start"), $((size >> 20)) MiB, served by ${by:-nothing} as /dev/${dev:-?}"
grep -i "legacy" /proc/iomem | sed 's/^/# iomem: /'
what="memmap: $ns is served by $drv with DAX (queue/dax, a dax device) over all of its $((size >> 20)) MiB"
if [ "$by" = "$drv" ] && [ -n "$dev" ] && [ "$(cat "/sys/block/$dev/queue/dax")" = 1 ] &&
   [ "$(($(cat "/sys/block/$dev/size") * 512))" = "$size" ]; then
	tap OK "$what"
else
	dmesg | grep -E "$ns|e820|pmem" | tail -n 5 | sed 's/^/# /'
	tap FAIL "$what"
	echo "1..$tap_n"
	exit 0
fi

# 2. ext4 with DAX on it
mnt=/mnt/dax-ext4-memmap
mkdir -p "$mnt"
ok=
if mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$dev" &&
   mount -t ext4 -o dax=always "/dev/$dev" "$mnt" &&
   xfs_io -f -c "pwrite -q 0 4096" "$mnt/.daxcheck"; then
	attr=$(xfs_io -c "statx -r" "$mnt/.daxcheck" | sed -n 's/^stat.attributes = //p')
	rm -f "$mnt/.daxcheck"
	[ $((attr & 0x200000)) != 0 ] && ok=1
fi
what="memmap: ext4 on /dev/$dev mounts with -o dax=always and its files are DAX"
if [ -n "$ok" ]; then tap OK "$what"; else tap FAIL "$what"; fi

# the DAX tests of the lab on that mount only
export DAXGUP_MOUNTS="ext4:$mnt:mem:$dev:$drv"
relay() {	# relay NAME CMD...: its results, renumbered, named
	local name=$1 line rc
	shift
	"$@" >"$tmp/$name.tap" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*|"not ok "*)
			tap_n=$((tap_n + 1))
			if [[ $line =~ ^(not\ ok|ok)\ [0-9]+\ (.*)$ ]]; then
				echo "${BASH_REMATCH[1]} $tap_n memmap: $name: ${BASH_REMATCH[2]}"
			fi ;;
		"#"*) echo "$line" ;;
		esac
	done <"$tmp/$name.tap"
	# kselftest's exit code 4: skipped as a whole
	if [ $rc = 4 ] && ! grep -qE '^(not )?ok ' "$tmp/$name.tap"; then
		tap SKIP "memmap: $name" "$(grep -E 'SKIP|skip' "$tmp/$name.tap" | tail -n 1 | sed 's/^[# ]*//')"
	elif [ $rc != 0 ] && ! grep -q '^not ok' "$tmp/$name.tap"; then
		tail -n 5 "$tmp/$name.tap" | sed 's/^/# /'
		tap FAIL "memmap: $name exits $rc"
	elif ! grep -qE '^(not )?ok ' "$tmp/$name.tap"; then
		# nothing run on the mount is no pass
		tail -n 5 "$tmp/$name.tap" | sed 's/^/# /'
		tap FAIL "memmap: $name reports no result for $mnt"
	fi
}
[ -n "$ok" ] && relay dax_odirect "$DAXGUP_BIN/dax_odirect"
[ -n "$ok" ] && relay gup_dax "$DAXGUP_BIN/gup_dax"

# removal under a pin
what="memmap: the unbind of $ns returns while an O_DIRECT read pins its DAX pages, the memory is parked until the read lands, then released, and $ns served again"
if [ "$drv" != daxgup_pmem ] || [ -z "$ok" ]; then
	tap SKIP "$what" "$([ -z "$ok" ] && echo "no DAX mount" || echo "$drv on $DAXGUP_KERNEL crashes on removal under a pin (known-crashes)")"
	echo "1..$tap_n"
	exit 0
fi
unbind_under_pin memmap "$drv" "$ns" "$ns" ext4 "$dev" "$mnt" "$what"
[ -z "$back" ] || umount "$mnt"
rm -rf "$tmp"
echo "1..$tap_n"
