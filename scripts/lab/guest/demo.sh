#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make` shows: for each DAX filesystem the setup made, an O_DIRECT fio
# job (read, then write) against a loop device, with its buffers in a
# MAP_SHARED mapping of a file on that filesystem, so every I/O pins DAX
# pages with get_user_pages.  Prints KTAP with a table in its diagnostics.
set -u
. /run/daxgup/env

tests=$(($(echo "$DAXGUP_MOUNTS" | wc -w) * 2))
echo "TAP version 13"
echo "1..$tests"
img=/tmp/demo-target.img
truncate -s 256M "$img"
loop=$(losetup -f --show "$img") || { echo "Bail out! losetup failed"; exit 1; }
rows=()
n=0
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	buf=$mnt/fio-buffers
	xfs_io -f -c "falloc 0 64m" "$buf"
	bw=()
	for rw in read write; do
		n=$((n + 1))
		out=/tmp/fio-$fs-$rw.json
		if fio --name="$fs-$rw" --filename="$loop" --rw="$rw" --bs=128k --size=128m \
			--direct=1 --ioengine=psync --iomem="mmapshared:$buf" --loops=2 \
			--output-format=json --output="$out" >/dev/null 2>/tmp/fio.err; then
			mibs=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0][sys.argv[2]]; print("%.0f" % (j["bw_bytes"] / 1048576))' "$out" "$rw")
			echo "ok $n $fs ($map, $dev, $drv): fio O_DIRECT $rw, buffers in a DAX mapping: $mibs MiB/s"
		else
			mibs=error
			sed 's/^/# /' /tmp/fio.err
			echo "not ok $n $fs ($map, $dev, $drv): fio O_DIRECT $rw, buffers in a DAX mapping"
		fi
		bw+=("$mibs")
	done
	rm -f "$buf"
	rows+=("$(printf '%-9s %-6s %-7s %-8s %-6s %-14s %-4s %9s %9s' "$dev" "$map" "$drv" "$fs" on "$mnt" yes "${bw[0]}" "${bw[1]}")")
done
losetup -d "$loop"
rm -f "$img"

echo "# kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB RAM"
echo "# $(printf '%-9s %-6s %-7s %-8s %-6s %-14s %-4s %9s %9s' device memmap driver fs dax mount gup 'read' 'write')"
echo "#                                                             (MiB/s, fio O_DIRECT 128k)"
for r in "${rows[@]}"; do
	echo "# $r"
done
