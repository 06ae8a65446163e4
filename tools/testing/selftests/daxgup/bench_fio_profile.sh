#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_fio_profile: where the time of one fio job goes with each driver,
# so that a gap between ours and the in-tree driver gets a cause rather
# than a guess.  For every DAX mount, 4 KiB O_DIRECT random reads (psync,
# depth 1: every I/O runs in fio's own context) from its block device
# (read-only, the filesystem stays mounted) and from a file on it, each
# under perf record (cpu-clock).  One "# json: " line
# per job: IOPS, and the time per I/O split by the samples of fio's job
# process (once it is reading, over DAXGUP_BENCH_RUNTIME seconds in which
# its read syscalls are counted) into the
# driver's own code (daxgup_pmem's daxgup_* functions, nd_pmem's pmem_*), the
# copy to or from the media, the rest of the kernel and fio, with the
# largest symbols.
# Skips when perf is missing.
. /run/daxgup/env
set -eu
command -v perf >/dev/null || { echo "1..0 # SKIP no perf"; exit 4; }
runtime=${DAXGUP_BENCH_RUNTIME:-2}
size=${DAXGUP_BENCH_FIO_MB:-256}
work=$(mktemp -d /tmp/fio-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
# syscr PID: the read syscalls process PID made so far.
syscr() { sed -n 's/^syscr: //p' "/proc/$1/io"; }

# profile FILE OUT: fio reads FILE; once its job process is past start-up
# and reading, perf samples that process alone for $runtime s.  Writes
# OUT.data and OUT.ios, the reads (one an I/O) made in that window.
profile() {
	local file=$1 out=$2 fpid job="" r0 r1 i=0
	fio --name=profile --filename="$file" --readonly --rw=randread --bs=4k \
		--ioengine=psync --direct=1 --size="${size}m" --time_based=1 \
		--runtime=$((runtime * 3 + 30)) >"$out.fio" 2>&1 &
	fpid=$!
	for i in $(seq 300); do
		job=$(pgrep -P "$fpid" | head -n 1)
		[ -n "$job" ] && [ "$(syscr "$job" 2>/dev/null || echo 0)" -gt 2000 ] && break
		job=""
		sleep 0.1
	done
	if [ -z "$job" ]; then
		kill "$fpid" 2>/dev/null
		wait "$fpid" 2>/dev/null
		echo "fio did not start reading"
		return 1
	fi
	# The reads are counted inside the sampled window: perf takes a
	# while to start and to write its data under TCG.
	# System-wide: a per-task event (-p) makes perf patch the scheduler's
	# static branches while the other vCPU runs them, which TCG does not
	# survive; the job's samples are picked out by perf report --pid.
	perf record -q -B -a -e cpu-clock -F 4000 -o "$out.data" -- \
		sh -c 'sed -n "s/^syscr: //p" "/proc/$1/io"; sleep "$2"; sed -n "s/^syscr: //p" "/proc/$1/io"' \
		sh "$job" "$runtime" >"$out.syscr" || i=fail
	kill -INT "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null || true
	r0=$(sed -n 1p "$out.syscr")
	r1=$(sed -n 2p "$out.syscr")
	[ "$i" != fail ] && [ -n "$r0" ] && [ -n "$r1" ] || return 1
	echo "$((r1 - r0)) $job" >"$out.ios"
}

echo "TAP version 13"
echo "1..$(($(echo "$DAXGUP_MOUNTS" | wc -w) * 2))"
n=0
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	xfs_io -f -c "pwrite -q -b 2m 0 ${size}m" "$mnt/bench-profile"
	for target in raw file; do
		n=$((n + 1))
		id=$n-$target
		file=$mnt/bench-profile
		[ "$target" = raw ] && file=/dev/$dev
		if ! profile "$file" "$work/$id" 2>>"$work/$id.err" ||
		   ! perf report -q -i "$work/$id.data" --pid "$(cut -d' ' -f2 "$work/$id.ios")" \
			--stdio --sort dso,sym --no-children \
			-F overhead,sample,dso,sym >"$work/$id.txt" 2>>"$work/$id.err"; then
			sed 's/^/# /' "$work/$id.err" | tail -n 10
			echo "not ok $n $target $fs -M $map $drv: fio or perf failed"
			continue
		fi
		python3 - "$work/$id.txt" "$work/$id.ios" "$(uname -r)" "$drv" "$map" "$fs" "$target" \
			"$runtime" "$n" <<'PY' || echo "not ok $n $target $fs -M $map $drv: no profile"
import json, re, sys
txt, iosf, kernel, drv, memmap, fs, target, runtime, n = sys.argv[1:]
ios = int(open(iosf).read().split()[0])
rows = []
for line in open(txt):
    f = line.split()
    # overhead  samples  dso  [k]|[.]  symbol
    if len(f) < 5 or not f[0].endswith('%'):
        continue
    rows.append((int(f[1]), f[2].strip('[]'), ' '.join(f[4:])))
total = sum(r[0] for r in rows)
if not total or not ios:
    sys.exit(1)
own = re.compile(r'^(__)?(pmem_|read_pmem|write_pmem|daxgup_)')
copy = re.compile(r'copy_mc|memcpy_flushcache|memcpy|memmove|copy_user|rep_movs')
share = {'driver': 0, 'copy': 0, 'kernel': 0, 'user': 0}
for s, dso, sym in rows:
    if dso in ('daxgup_pmem', 'nd_pmem') or own.match(sym):
        share['driver'] += s
    elif copy.search(sym):
        share['copy'] += s
    elif dso == 'kernel.kallsyms' or dso in ('nd_pmem', 'libnvdimm', 'dax', 'xfs', 'ext4'):
        share['kernel'] += s
    else:
        share['user'] += s
# One thread doing synchronous reads from memory: the job is on the CPU
# the whole window, so the time of an I/O is split in the proportions of
# its samples.
iops = ios / float(runtime)
us = lambda s: 1e6 / iops * s / total
out = {'bench': 'fio-profile', 'kernel': kernel, 'driver': drv, 'memmap': memmap, 'fs': fs,
       'target': target, 'workload': 'randread 4k psync qd1',
       'iops': round(iops, 1), 'ios': ios, 'samples_total': total,
       'us_per_io': round(us(total), 2)}
for k, v in share.items():
    out[k + '_us_per_io'] = round(us(v), 3)
out['top'] = [[sym, dso, round(100.0 * s / total, 1)] for s, dso, sym in sorted(rows, reverse=True)[:8]]
dsos = {}
for s, dso, sym in rows:
    dsos[dso] = dsos.get(dso, 0) + s
print('# samples per dso: ' + ', '.join('%s %.1f %%' % (d, 100.0 * v / total)
                                         for d, v in sorted(dsos.items(), key=lambda x: -x[1])))
print('# json: ' + json.dumps(out))
print('ok %s %s %s -M %s %s: %.0f IOPS, %.1f us per I/O: driver %.2f, copy %.2f, '
      'rest of the kernel %.2f, fio %.2f' % (
          n, target, fs, memmap, drv, out['iops'], out['us_per_io'],
          out['driver_us_per_io'],
          out['copy_us_per_io'], out['kernel_us_per_io'], out['user_us_per_io']))
PY
	done
	rm -f "$mnt/bench-profile"
done
