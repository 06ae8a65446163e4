#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make` shows, as KTAP with its story in the diagnostics:
#   1. which driver serves each namespace (DRIVER=both, the demo's default:
#      the in-tree nd_pmem serves one, daxgup_pmem the other);
#   2. the hazard the series fixes, live (dax_demo, one result per DAX
#      filesystem): an O_DIRECT read from the lab's dm-delay device into a
#      DAX file's mapping, the file truncated while the read is in flight;
#      how long the truncate waited, and whether another file changed.  On
#      the kernels without the series the bug showing is an XFAIL, "stock
#      6.12: the bug"; on the others the line `make KERNEL=stock` printed
#      for the same step, measured once (scripts/lab/demo-stock.txt);
#   3. an O_DIRECT fio job (read, then write) against a loop device per DAX
#      filesystem, with its buffers in a MAP_SHARED mapping of a file on it,
#      so every I/O pins DAX pages with get_user_pages: a table.
set -u
. /run/daxgup/env

nfs=$(echo "$DAXGUP_MOUNTS" | wc -w)
echo "TAP version 13"
echo "1..$((nfs * 3))"
rel=$(uname -r)
case $DAXGUP_KERNEL in
patched) what="Linux 6.12 with the daxgup series" ;;
base) what="Linux 6.12 as the series' base, without it" ;;
stock) what="Debian's stock 6.12 kernel, without the series" ;;
*) what=$DAXGUP_KERNEL ;;
esac
echo "# kernel $rel ($DAXGUP_KERNEL: $what), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB RAM"
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	case $drv in
	nd_pmem) who="the in-tree driver" ;;
	daxgup_pmem) who="daxgup's module, drivers/nvdimm/daxgup" ;;
	*) who="" ;;
	esac
	ns=$(awk -F'\t' -v d="$dev" '$4 == d {print $1}' /run/daxgup/setup.tsv)
	echo "# $dev: ${ns:-?} (fsdax, memmap in $map) served by $drv${who:+ ($who)}, $fs -o dax=always on $mnt"
done

echo "#"
echo "# The hazard the series fixes: DMA into the DAX pages of a file that is truncated meanwhile."
echo "# On each filesystem a 2 MiB file is mapped MAP_SHARED and written; an O_DIRECT read (libaio)"
echo "# from $DAXGUP_SLOW (dm-delay: reads take $((${DAXGUP_SLOW_MS:-2000} / 1000)) s) into the mapping pins its"
echo "# pages; the file is unmapped and truncated while the read is in flight, a second file takes"
echo "# all the free space, and once the read completed that second file is checked."
# dax_demo's results come first in the stream: only its header and plan go.
"$DAXGUP_BIN/dax_demo" 2>&1 | grep -v -e '^TAP version' -e '^1\.\.[0-9]*$' -e '^# Totals:'
stock=$DAXGUP_TOP/scripts/lab/demo-stock.txt
if [ "$DAXGUP_KERNEL" = stock ]; then
	echo "# with the series (\`make\`): the truncate waits for the read, about the dm-delay's $((${DAXGUP_SLOW_MS:-2000} / 1000)) s, and no other file changes"
elif [ -f "$stock" ]; then
	echo "# measured once on stock $(sed -n 's/^release //p' "$stock") ($(sed -n 's/^date //p' "$stock")); \`make KERNEL=stock\` runs it live:"
	sed -n 's/^line /#   /p' "$stock"
fi

echo "#"
echo "# O_DIRECT with its buffers in a DAX mapping (fio, psync, 128 KiB, 64 MiB each way, to and"
echo "# from a loop device on tmpfs): every I/O pins DAX pages with get_user_pages."
img=/tmp/demo-target.img
truncate -s 256M "$img"
loop=$(losetup -f --show "$img") || { echo "Bail out! losetup failed"; exit 1; }
# One fio for all of them (its start alone takes seconds under TCG): per
# filesystem a read job and a write job, each in turn (stonewall), as
# threads, with the buffers in a MAP_SHARED mapping of a file on it.
# Terse lines, one a job: the read bandwidth (KiB/s) is field 7, the
# write bandwidth field 48.
jobs=()
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	xfs_io -f -c "falloc 0 64m" "$mnt/fio-buffers"
	for rw in read write; do
		jobs+=(--name="$dev-$rw" --rw="$rw" --iomem="mmapshared:$mnt/fio-buffers" --stonewall)
	done
done
fio --filename="$loop" --bs=128k --size=64m --direct=1 --ioengine=psync --thread \
	--output-format=terse --terse-version=3 "${jobs[@]}" >/tmp/fio.out 2>/tmp/fio.err
rows=()
n=$nfs
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	rm -f "$mnt/fio-buffers"
	bw=()
	for rw in read write; do
		n=$((n + 1))
		mibs=$(awk -F';' -v job="$dev-$rw" -v f="$([ $rw = read ] && echo 7 || echo 48)" \
			'$3 == job && $5 == 0 {printf "%.0f", $f / 1024}' /tmp/fio.out)
		if [ -n "$mibs" ]; then
			echo "ok $n $fs ($map, $dev, $drv): fio O_DIRECT $rw, buffers in a DAX mapping: $mibs MiB/s"
		else
			mibs=error
			sed 's/^/# /' /tmp/fio.err
			grep "^3;[^;]*;$dev-$rw;" /tmp/fio.out | sed 's/^/# fio: /'
			echo "not ok $n $fs ($map, $dev, $drv): fio O_DIRECT $rw, buffers in a DAX mapping"
		fi
		bw+=("$mibs")
	done
	rows+=("$(printf '%-7s %-6s %-11s %-5s %-3s %-30s %-3s %6s %6s' "$dev" "$map" "$drv" "$fs" on "$mnt" yes "${bw[0]}" "${bw[1]}")")
done
losetup -d "$loop"
rm -f "$img"

echo "# $(printf '%-7s %-6s %-11s %-5s %-3s %-30s %-3s %6s %6s' device memmap driver fs dax mount gup 'read' 'write')"
echo "#$(printf '%86s' '(MiB/s)')"
for r in "${rows[@]}"; do
	echo "# $r"
done
# One short run each under emulation: the figures move by a factor of two
# or more from run to run, and say nothing of the drivers' relative speed.
echo "# (one short run each, emulated: they vary 2x or more between runs; \`make bench\` measures)"
