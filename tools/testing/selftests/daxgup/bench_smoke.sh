#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_smoke: every benchmark of make bench once, tiny and short, so that
# make check notices when one breaks: each must exit cleanly (gup_bench may
# skip without CONFIG_GUP_TEST), print "# json: " lines that parse and
# carry the figures the report reads, and the report must build its table
# from them.  Nothing is unmounted: the raw-device jobs run on the scratch
# device, and only the first DAX filesystem is used.
. /run/daxgup/env
set -eu
here=$(dirname "$0")
top=$here/../../../..
out=$(mktemp -d /tmp/bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
export DAXGUP_BENCH_REPS=1 DAXGUP_BENCH_RUNTIME=1 DAXGUP_BENCH_FIO_MB=16
export DAXGUP_BENCH_GUP_MB=16 DAXGUP_BENCH_MEMCPY_MB=16 DAXGUP_BENCH_FSYNC_MB=8
export DAXGUP_BENCH_JOBS="randread-4k-psync-qd1:randread:4k:psync:1 write-128k-io_uring-qd32:write:128k:io_uring:32"
export DAXGUP_BENCH_FIXED_JOBS="read-128k-io_uring+fixedbufs-qd1:read:128k:io_uring:1:fixedbufs"
export DAXGUP_BENCH_RAW_DEVS=$DAXGUP_SCRATCH
# one DAX filesystem is enough to see that they work
export DAXGUP_MOUNTS=${DAXGUP_MOUNTS%% *}
export DAXGUP_BENCH_MOUNTS=$DAXGUP_MOUNTS
benches="memcpy:$DAXGUP_BIN/memcpy_bench gup:$DAXGUP_BIN/gup_bench fsync:$DAXGUP_BIN/fsync_bench
fio-fs:$here/bench_fio.sh@fs
fio-raw:$here/bench_fio.sh@raw iomem:$here/bench_fio.sh@iomem"

echo "TAP version 13"
echo "1..$(($(echo "$benches" | wc -w) + 1))"
n=0
for b in $benches; do
	name=${b%%:*} cmd=${b#*:}
	n=$((n + 1))
	rc=0 t0=$SECONDS
	# shellcheck disable=SC2086
	${cmd/@/ } >"$out/$name.tap" 2>&1 || rc=$?
	echo "# $name: $((SECONDS - t0)) s"
	why=$(python3 - "$out/$name.tap" "$rc" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
rc = int(sys.argv[2])
if rc == 4 and re.search(r'^1\.\.0 # SKIP', text, re.M):
    print('SKIP ' + text.strip().splitlines()[-1])
    sys.exit()
if rc:
    print('exit %d' % rc)
    sys.exit()
if re.search(r'^not ok', text, re.M):
    print('a case failed')
    sys.exit()
rows = [json.loads(l[len('# json: '):]) for l in text.splitlines() if l.startswith('# json: ')]
need = ('bench', 'kernel', 'driver', 'workload', 'figure', 'unit', 'reps', 'median', 'min', 'max')
if not rows:
    print('no "# json: " line')
for r in rows:
    miss = [k for k in need if k not in r]
    if miss:
        print('json line without %s: %s' % (', '.join(miss), r))
        break
    if not r['min'] <= r['median'] <= r['max'] or r['median'] <= 0:
        print('figures out of order or not positive: %s' % r)
        break
PY
) || why="parsing the output failed"
	case $why in
	'') echo "ok $n $name: $(grep -c '^# json: ' "$out/$name.tap") JSON figures" ;;
	SKIP*) echo "ok $n $name # SKIP ${why#SKIP }" ;;
	*) sed 's/^/# /' "$out/$name.tap" | tail -n 15
	   echo "not ok $n $name: $why" ;;
	esac
done
# The host-side report, run here over what was just measured.
n=$((n + 1))
mkdir -p "$out/run/boot1/tap"
cat "$out"/*.tap >"$out/run/boot1/tap/all.tap"
sed -n 's/^# json: //p' "$out"/*.tap >"$out/run/bench.jsonl"
if python3 "$top/scripts/lab/bench-report.py" --no-plots --out "$out/report" "$out/run" >"$out/report.log" 2>&1 &&
   [ -s "$out/report/bench.md" ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$out/report/bench.json"; then
	echo "ok $n bench-report: table and JSON from the smoke run"
else
	sed 's/^/# /' "$out/report.log" | tail -n 15
	echo "not ok $n bench-report: no table or JSON"
fi
