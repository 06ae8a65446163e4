#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_gup_profile: where the time of GUP and PIN over a DAX mapping goes,
# counted: perf samples (cpu-clock, the whole guest) while gup_bench runs
# one mapping, per kernel symbol, next to anonymous memory of the same page
# size.  "# json: " lines with each symbol's share of the samples (the ten
# largest per mapping).  Skips when perf or CONFIG_GUP_TEST is missing.
. /run/daxgup/env
set -eu
command -v perf >/dev/null || { echo "1..0 # SKIP no perf"; exit 4; }
[ -e /sys/kernel/debug/gup_test ] || { echo "1..0 # SKIP no /sys/kernel/debug/gup_test"; exit 4; }
work=$(mktemp -d /tmp/gup-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
export DAXGUP_BENCH_REPS=${DAXGUP_BENCH_REPS:-3}
mappings="anon-4k dax-pte anon-thp dax-pmd"
echo "TAP version 13"
echo "1..4"
n=0
for m in $mappings; do
	n=$((n + 1))
	# One DAX mount is enough: the first one served by our driver.
	mounts=$(for x in $DAXGUP_MOUNTS; do echo "$x"; done | grep -m1 daxgup_pmem || echo "${DAXGUP_MOUNTS%% *}")
	if ! DAXGUP_MOUNTS=$mounts DAXGUP_BENCH_GUP_ONLY=$m \
		perf record -q -e cpu-clock -F 4000 -a -o "$work/$m.data" -- \
		"$DAXGUP_BIN/gup_bench" >"$work/$m.tap" 2>&1 ||
	   ! perf report -q -i "$work/$m.data" --stdio --sort sym --no-children \
		--percent-limit 0.5 >"$work/$m.txt" 2>"$work/$m.err"; then
		sed 's/^/# /' "$work/$m.tap" "$work/$m.err" 2>/dev/null | tail -n 10
		echo "not ok $n $m: perf record/report failed"
		continue
	fi
	total=$(perf report -q -i "$work/$m.data" --stdio --sort sym -F overhead,sample 2>/dev/null |
		awk '{s += $2} END {print s + 0}')
	sed -n "s/^# json: \(.*get_ns_per_page.*\)/# gup_bench: \1/p" "$work/$m.tap"
	python3 - "$work/$m.txt" "$m" "$(uname -r)" "$total" <<'PY'
import json, sys
path, mapping, kernel, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = []
for line in open(path):
    f = line.split()
    if len(f) < 3 or not f[0].endswith('%'):
        continue
    rows.append((float(f[0][:-1]), ' '.join(f[2:])))
for pct, sym in rows[:10]:
    print('# json: ' + json.dumps({'bench': 'gup-profile', 'kernel': kernel, 'mapping': mapping,
                                   'symbol': sym, 'samples_pct': pct, 'samples_total': total}))
PY
	echo "ok $n $m: $total perf samples ($(head -n 3 "$work/$m.txt" | awk '{printf "%s %s; ", $1, $NF}'))"
done
