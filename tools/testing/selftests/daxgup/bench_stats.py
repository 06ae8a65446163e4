#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_stats.py MANIFEST KERNEL RUNTIME: the fio runs bench_fio.sh listed
(id, bench, driver, memmap, fs, target, buffer, job file, rc; <id>.json
next to it) as TAP: per target and job, bandwidth and IOPS, median, min
and max over the runs, one "# json: " line per figure.  A job whose run
failed, or that moved no data, fails; but registered buffers (the job file
iomem-fixed) in a DAX file that a kernel without long-term pins of DAX
files (no dax/longterm_pins in debugfs) refused, every job with error 95
(EOPNOTSUPP), are a skip that says so."""
import json
import os
import statistics
import sys


def main():
    manifest, kernel, runtime = sys.argv[1], sys.argv[2], float(sys.argv[3])
    work = os.path.dirname(manifest)
    groups, order, errors = {}, [], {}
    no_longterm = not os.path.exists('/sys/kernel/debug/dax/longterm_pins')
    refused = set()
    for line in open(manifest):
        rid, bench, drv, memmap, fs, target, buf, jobfile, rc = line.rstrip('\n').split('\t')
        key = (bench, drv, memmap, fs, target, buf, jobfile)
        try:
            with open(os.path.join(work, rid + '.json')) as f:
                text = f.read()
            # fio may print notes before its JSON; its errors are in it
            jobs = json.loads(text[text.index('{'):])['jobs']
            if (rc != '0' and jobfile == 'iomem-fixed' and buf == 'dax' and no_longterm and
                    jobs and all(j.get('error') == 95 for j in jobs)):
                refused.add(key)
                continue
            if rc != '0':
                raise ValueError('fio exit %s' % rc)
        except (OSError, ValueError, KeyError) as e:
            err = ''
            try:
                with open(os.path.join(work, rid + '.err')) as f:
                    err = f.read().strip().splitlines()[-1:]
            except OSError:
                pass
            errors.setdefault(key, '%s %s' % (e, ' '.join(err)))
            continue
        for j in jobs:
            k = key + (j['jobname'],)
            if k not in groups:
                groups[k] = []
                order.append(k)
            bw = (j['read']['bw_bytes'] + j['write']['bw_bytes']) / 2**20
            iops = j['read']['iops'] + j['write']['iops']
            groups[k].append((bw, iops, j.get('job options', {})))
    refused -= set(errors)
    print('1..%d' % (len(order) + len(errors) + len(refused)))
    n = 0
    for key in sorted(refused):
        n += 1
        print('ok %d %s # SKIP refused (error 95, EOPNOTSUPP): this kernel does not allow '
              'long-term pins of DAX files' % (n, '/'.join(key)))
    for key, why in errors.items():
        n += 1
        print('# %s' % why)
        print('not ok %d %s: fio failed' % (n, '/'.join(key)))
    for k in order:
        bench, drv, memmap, fs, target, buf, _, job = k
        runs = groups[k]
        name, _, rest = job.partition('-')
        bs, engine, depth = rest.split('-')[0], '-'.join(rest.split('-')[1:-1]), rest.split('-')[-1]
        base = {'bench': bench, 'kernel': kernel, 'driver': drv, 'memmap': memmap,
                'fs': fs, 'target': target, 'buffer': buf,
                'workload': '%s %s %s %s' % (name, bs, engine, depth),
                'rw': name, 'bs': bs, 'engine': engine, 'iodepth': int(depth[2:]),
                'runtime_s': runtime, 'reps': len(runs)}
        for i, (fig, unit) in enumerate((('bw', 'MiB/s'), ('iops', 'IOPS'))):
            v = sorted(r[i] for r in runs)
            d = dict(base, figure=fig, unit=unit, median=round(statistics.median(v), 2),
                     min=round(v[0], 2), max=round(v[-1], 2))
            print('# json: ' + json.dumps(d))
        n += 1
        bw = sorted(r[0] for r in runs)
        desc = '%s %s/%s/%s %s buffer=%s: %s' % (bench, fs, memmap, drv, target, buf, base['workload'])
        if bw[0] <= 0:
            print('not ok %d %s: a run moved no data' % (n, desc))
        else:
            print('ok %d %s: median %.1f MiB/s (min %.1f, max %.1f, %d runs)' %
                  (n, desc, statistics.median(bw), bw[0], bw[-1], len(bw)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
