#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# memmap_cost: what the memmap of an fsdax namespace costs in RAM.  With
# -M mem the struct pages live in RAM: 64 bytes per 4 KiB page (1/64 of the
# namespace, within 10%).  With -M dev they live in the namespace itself
# (vmem_altmap): enabling it must cost less than 5% of what -M mem costs.
# What else enabling allocates (the disk, the dax device, slab and per-cpu
# caches that a disable does not hand back at once) makes the figure move
# by up to about 2% of a 1 GiB memmap between runs; a memmap in RAM, even
# a partial one, is far above the bound.
# Each namespace is unmounted, then disabled and enabled twice while MemFree
# is watched.  It leaves the filesystems unmounted: the suite runs it last
# in its shared boot (where the figures stayed as far inside the bounds as
# in a boot of its own: about 16 MiB -M mem per GiB, within 100 KiB of 0
# -M dev).
. /run/daxgup/env
set -u
echo "TAP version 13"
echo "1..$(echo "$DAXGUP_MOUNTS" | wc -w)"

# Free RAM in kB, counting the pages that sit on the per-cpu free lists:
# MemFree does not, and the memmap's 2 MiB blocks go there when freed.
memfree_kb() {
	local pcp
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	pcp=$(awk '$1 == "count:" {n += $2} END {print n + 0}' /proc/zoneinfo)
	echo $(($(awk '/^MemFree:/ {print $2}' /proc/meminfo) + pcp * 4))
}

# With both drivers loaded (DAXGUP_DRIVER=both) ndctl enable-namespace
# would let nd_pmem, registered first, take every namespace: the pfn device
# is unbound from and bound to its own driver instead, which frees and
# makes the same memmap.
toggle() {
	local step=$1 ns=$2 dev=$3 drv=$4 pfn
	if [ "${DAXGUP_DRIVER:-}" != both ]; then
		ndctl "$step-namespace" "$ns"
		return
	fi
	pfn=$(cat "/run/daxgup/pfn.$dev" 2>/dev/null || basename "$(readlink -f "/sys/block/$dev/device")")
	echo "$pfn" >"/run/daxgup/pfn.$dev"
	case $step in
	disable) echo "$pfn" >"/sys/bus/nd/drivers/$drv/unbind" ;;
	enable) echo "$pfn" >"/sys/bus/nd/drivers/$drv/bind" ;;
	esac
}

# Besides the memmap, enabling allocates a little: with -M dev what it
# costs must stay below 1/20 of a memmap in RAM, with -M mem within 10% of
# one.  Under KASAN (the lab's debug kernel) the same steps measured up to
# 2.1 MiB per GiB more, with -M dev and with -M mem alike, on one namespace
# and nothing on the next: KASAN's allocations are larger and its
# quarantine holds freed ones back from MemFree.  There the bounds are 1/5
# of a memmap with -M dev and 20% above one with -M mem: a memmap in RAM
# still fails the first, a memmap not (or half) made still fails the second.
kasan=""
extra_pct=5
mem_pct=10
if grep -qw kasan_report /proc/kallsyms 2>/dev/null; then
	kasan="a KASAN kernel"
	extra_pct=20
	mem_pct=20
fi

n=0
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	n=$((n + 1))
	ns=$(ndctl list -N | python3 -c 'import json,sys; print([x["dev"] for x in json.load(sys.stdin) if x.get("blockdev")==sys.argv[1]][0])' "$dev")
	size_kb=$(($(blockdev --getsize64 "/dev/$dev") / 1024))
	umount "$mnt" || { echo "not ok $n $dev: umount $mnt failed"; continue; }
	# Off, on, off, on: each step's change in MemFree, the median of the
	# three, so that memory freed late by the unmount does not count.
	free=()
	for step in disable enable disable enable; do
		toggle "$step" "$ns" "$dev" "$drv" >/dev/null 2>&1 || { free=(); break; }
		free+=("$(memfree_kb)")
	done
	if [ ${#free[@]} != 4 ]; then
		echo "not ok $n $dev: ndctl disable/enable-namespace $ns failed"
		continue
	fi
	steps=$(printf '%s\n' $((free[0] - free[1])) $((free[2] - free[1])) $((free[2] - free[3])) | sort -n)
	cost=$(sed -n 2p <<<"$steps")
	min=$(sed -n 1p <<<"$steps")
	max=$(sed -n 3p <<<"$steps")
	expect=$((size_kb / 64))
	echo "# $ns ($dev, $drv, -M $map, $((size_kb / 1024)) MiB): enabling takes $cost kB of RAM (MemFree: ${free[*]} kB); a memmap in RAM is $expect kB"
	echo "# json: {\"bench\": \"memmap\", \"kernel\": \"$(uname -r)\", \"namespace\": \"$ns\", \"driver\": \"$drv\", \"memmap\": \"$map\", \"fs\": \"$fs\", \"workload\": \"memmap -M $map\", \"figure\": \"ram_kb_per_gib\", \"unit\": \"kB/GiB\", \"reps\": 3, \"median\": $((cost * 1048576 / size_kb)), \"min\": $((min * 1048576 / size_kb)), \"max\": $((max * 1048576 / size_kb)), \"size_kb\": $size_kb, \"ram_cost_kb\": $cost, \"memmap_in_ram_kb\": $expect}"
	case $map in
	mem) ok=$((cost * 10 >= expect * 9 && cost * 100 <= expect * (100 + mem_pct))) ;;
	dev) ok=$((cost * 100 < expect * extra_pct)) ;;
	esac
	if [ "$ok" = 1 ]; then
		echo "ok $n $dev ($drv): -M $map costs $cost kB of RAM per $((size_kb / 1024)) MiB"
	else
		echo "not ok $n $dev ($drv): -M $map costs $cost kB of RAM per $((size_kb / 1024)) MiB (memmap: $expect kB${kasan:+; bounds for $kasan})"
	fi
done
