#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_layout_profile: where the time of a truncate or hole punch of a
# 1 GiB DAX file goes, so that a gap to the base kernel in
# dax_layout_bench gets a cause.  For one mount of each filesystem, each
# state (never mapped, mapped with PMDs and unmapped) and each operation,
# dax_layout_bench runs under a system-wide "perf record -g -e cpu-clock"
# with a fixed period, enabled around the timed syscall only.
#
# The guest has no PMU: the sampling timer cannot fire while interrupts
# are off, and a sample taken when they come back on lands in the unlock
# that enabled them.  So each sample is also charged to the first caller
# that is not a spin unlock: the function that held the lock, an xarray
# walk under xas_lock_irq() say.  "# json: " lines give, per case, the
# CPU time per call of every CPU but idle ("swapper") and perf itself,
# of idle, of perf, and of the largest symbols both ways ("self" and
# "charged"), each its share of the samples times the time perf was
# enabled (all CPUs); and how much of that time the samples cover (timer
# ticks that come late are lost).  Profiled calls run slower than
# unprofiled ones: compare kernels by shares and by these times, not with
# dax_layout_bench's figures.  Skips when perf is missing.
. /run/daxgup/env
set -eu
command -v perf >/dev/null || { echo "1..0 # SKIP no perf"; exit 4; }
work=$(mktemp -d /tmp/layout-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
period_ns=250000
reps=${DAXGUP_BENCH_REPS:-15}
mb=${DAXGUP_BENCH_MB:-1024}
# One mount per filesystem, of daxgup_pmem if it serves one, else of the
# first mount's driver.
mounts_list=$(for x in $DAXGUP_MOUNTS; do echo "$x"; done)
driver=$(echo "$mounts_list" | awk -F: '$5 == "daxgup_pmem" {print $5; exit}')
[ -n "$driver" ] || driver=$(echo "$mounts_list" | awk -F: 'NR == 1 {print $5}')
mounts=""
for fs in ext4 xfs; do
	m=$(echo "$mounts_list" | awk -F: -v fs="$fs" -v d="$driver" \
		'$1 == fs && $5 == d {print; exit}')
	[ -z "$m" ] || mounts="$mounts $m"
done
[ -n "$mounts" ] || { echo "1..0 # SKIP no ext4 or xfs DAX mount"; exit 4; }
echo "TAP version 13"
echo "1..$(($(echo $mounts | wc -w) * 4))"
n=0
for m in $mounts; do
	for state in never-mapped was-mapped; do
		for op in truncate punch; do
			n=$((n + 1))
			name="$(echo "$m" | cut -d: -f1,3,5 | tr : /): $op $mb MiB $state file"
			out=$work/$n
			rm -f "$work/ctl" "$work/ack"
			mkfifo "$work/ctl" "$work/ack"
			if ! DAXGUP_MOUNTS=$m DAXGUP_BENCH_MB=$mb DAXGUP_BENCH_REPS=$reps \
				DAXGUP_BENCH_STATE=$state DAXGUP_BENCH_OP=$op \
				DAXGUP_BENCH_PERF_CTL=$work/ctl DAXGUP_BENCH_PERF_ACK=$work/ack \
				perf record -q --no-buildid -a -g -e cpu-clock -c $period_ns -D -1 \
				--control "fifo:$work/ctl,$work/ack" -o "$out.data" -- \
				"$DAXGUP_BIN/dax_layout_bench" >"$out.tap" 2>&1 ||
			   ! grep -q '^ok 1 ' "$out.tap" ||
			   ! perf script -i "$out.data" -F comm,tid,ip,sym >"$out.txt" 2>"$out.err"; then
				sed 's/^/# /' "$out.tap" "$out.err" 2>/dev/null | tail -n 10
				echo "not ok $n $name: dax_layout_bench or perf failed"
				continue
			fi
			if ! python3 - "$out.txt" "$out.tap" "$(uname -r)" "$period_ns" \
				"$(nproc)" >"$out.json" 2>"$out.err" <<'PY'
import collections, json, re, sys
script, tap, kernel, period_ns, ncpu = sys.argv[1:6]
period_ns, ncpu = int(period_ns), int(ncpu)
bench = [json.loads(l.split('json: ', 1)[1]) for l in open(tap) if '# json: ' in l][0]
calls, enabled_us = bench['reps'], bench['perf_enabled_us']
# Unlocks that enable interrupts again: their samples belong to the holder.
UNLOCK = re.compile(r'^_raw_spin_unlock|^_raw_read_unlock|^_raw_write_unlock')
head = re.compile(r'^(\S.*?)\s+(\d+)\s*$')
frame = re.compile(r'^\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?(?:\s+\(.*\))?$')
samples = []
for line in open(script):
    if not line.strip():
        continue
    h = head.match(line)
    if h:
        samples.append([re.sub(r'/.*', '', h.group(1)), []])
    elif samples:
        f = frame.match(line)
        if f:
            samples[-1][1].append(f.group(1))
self_, charged, comms = collections.Counter(), collections.Counter(), collections.Counter()
for comm, frames in samples:
    kind = 'idle' if comm == 'swapper' else 'perf' if comm == 'perf' else 'work'
    comms[kind] += 1
    if kind != 'work' or not frames:
        continue
    self_[(comm, frames[0])] += 1
    holder = next((f for f in frames if not UNLOCK.match(f)), frames[0])
    charged[(comm, holder)] += 1
total = sum(comms.values())
if not total:
    sys.exit('no samples')
coverage = total * period_ns / 1000 / (ncpu * enabled_us)
us = lambda v: round(v / total * ncpu * enabled_us / calls, 1)
base = {'bench': 'layout-profile', 'kernel': kernel, 'fs': bench['fs'],
        'memmap': bench['memmap'], 'driver': bench['driver'], 'op': bench['op'],
        'state': bench['state'], 'calls': calls,
        'profiled_median_us': bench['median_us'], 'coverage': round(coverage, 2)}
rows = [('total', '', '(all but idle and perf)', comms['work']),
        ('total', 'swapper', '(idle)', comms['idle']),
        ('total', 'perf', '(perf)', comms['perf'])]
rows += [('self', c, s, v) for (c, s), v in self_.most_common(10)]
rows += [('charged', c, s, v) for (c, s), v in charged.most_common(10)]
for view, comm, sym, v in rows:
    print('# json: ' + json.dumps(dict(base, view=view, comm=comm, symbol=sym, samples=v,
                                       share=round(v / total, 4), us_per_call=us(v))))
top = ', '.join('%s %.0f' % (s, us(v)) for (c, s), v in charged.most_common(3))
print('# %s/%s %s, %s: %.0f us busy, %.0f us idle per call (%d calls; samples cover %.0f%% of the time perf was on); charged: %s'
      % (bench['fs'], bench['driver'], bench['state'], bench['op'], us(comms['work']),
         us(comms['idle']), calls, coverage * 100, top))
PY
			then
				sed 's/^/# /' "$out.err" | tail -n 5
				echo "not ok $n $name: no profile"
				continue
			fi
			cat "$out.json"
			echo "ok $n $name"
		done
	done
done
