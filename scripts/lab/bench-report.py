#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py [--out DIR] [--no-plots] [RUN_DIR ...]: the report of make bench.

Reads the "# json: " figures of one or more bench runs (RUN_DIR/bench.jsonl,
or the TAP files of its boots) and writes to DIR:
  bench.json   every figure, tagged with its run's kernel, plus the ratios
  bench.md     the tables: ours/in-tree, DAX/anon, GUP DAX/anon, memmap,
               the memcpy limit, and kernels side by side
  *.png        gnuplot bar charts (median, min-max error bars)
and prints the ratio tables.  Without RUN_DIRs: the latest bench run of each
kernel (patched, base, stock) under $O/results.  DIR: RUN_DIR/report for one
run, else $O/results/bench-report-<time> (results/bench-report-latest).
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time

OURS, INTREE = 'daxgup_pmem', 'nd_pmem'
KERNEL_ORDER = ['patched', 'base', 'stock']


def read_env(run):
    env = {}
    try:
        with open(os.path.join(run, 'run.env')) as f:
            for line in f:
                k, _, v = line.strip().partition('=')
                env[k] = v
    except OSError:
        pass
    return env


def load_run(run):
    env = read_env(run)
    path = os.path.join(run, 'bench.jsonl')
    if os.path.exists(path):
        lines = open(path).read().splitlines()
    else:
        lines = []
        for tap in sorted(glob.glob(os.path.join(run, 'boot*', 'tap', '*.tap'))):
            lines += [l[len('# json: '):] for l in open(tap).read().splitlines()
                      if l.startswith('# json: ')]
    rows = []
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)
        if 'bench' not in r:    # dax_layout_bench: its own schema
            r = dict(r, bench='layout', workload='%s %s' % (r.get('op'), r.get('state')),
                     figure='time', unit='us', median=r.get('median_us'),
                     min=r.get('min_us'), max=r.get('max_us'))
        r['label'] = env.get('KERNEL') or r.get('kernel', '?')
        r['run'] = run
        rows.append(r)
    return env, rows


def latest_runs(results):
    best = {}
    for d in sorted(glob.glob(os.path.join(results, '*-bench-*'))):
        if not os.path.isdir(d) or os.path.islink(d):
            continue
        env = read_env(d)
        if not env or not (os.path.exists(os.path.join(d, 'bench.jsonl')) or
                           glob.glob(os.path.join(d, 'boot*', 'tap', '*.tap'))):
            continue
        k = env.get('KERNEL', '?') + env.get('VARIANT', '')
        best[k] = d     # sorted by name: the date is last
    return [best[k] for k in sorted(best, key=lambda k: (KERNEL_ORDER + [k]).index(k))]


def ratio(a, b):
    """median ratio a/b and its bounds from the min/max of both"""
    if not a or not b or not b['median'] or not b['min'] or not b['max']:
        return None
    return {'median': a['median'] / b['median'], 'low': a['min'] / b['max'],
            'high': a['max'] / b['min'], 'reps': min(a['reps'], b['reps'])}


def fmt(x, nd=2):
    return '-' if x is None else ('%.*f' % (nd, x))


def fmt_ratio(r):
    if not r:
        return '-'
    return '%.2f (%.2f-%.2f)' % (r['median'], r['low'], r['high'])


def table(head, rows):
    out = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    out += ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows]
    return '\n'.join(out)


def index(rows, bench):
    return [r for r in rows if r.get('bench') == bench]


def limits(rows, label):
    lim = {}
    for r in rows:
        if r.get('bench') == 'memcpy' and r['label'] == label:
            lim[r['workload'].split()[-1]] = r['median']
    return lim


def limit_for(r, lim):
    if r['bench'] == 'iomem':
        return lim.get('dram-to-dram')
    return lim.get('pmem-to-dram' if 'read' in r.get('rw', '') else 'dram-to-pmem')


def drivers(rows, labels):
    """ours/in-tree, per kernel, target (fs or raw) and workload"""
    out, tabs = [], {}
    for label in labels:
        fio = [r for r in index(rows, 'fio') if r['label'] == label]
        lim = limits(rows, label)
        pairs = {}
        for r in fio:
            pairs.setdefault((r['target'], r['fs'], r['memmap'], r['workload'], r['figure']),
                             {})[r['driver']] = r
        lines = []
        for key in sorted(pairs, key=lambda k: (k[0], k[1], k[2])):
            p = pairs[key]
            if key[4] != 'bw' or OURS not in p or INTREE not in p:
                continue
            iops = pairs.get(key[:4] + ('iops',), {})
            rb = ratio(p[OURS], p[INTREE])
            ri = ratio(iops.get(OURS), iops.get(INTREE))
            lm = limit_for(p[OURS], lim)
            item = {'label': label, 'target': key[0], 'fs': key[1], 'memmap': key[2],
                    'workload': key[3], 'bw_ours': p[OURS]['median'],
                    'bw_intree': p[INTREE]['median'], 'bw_ratio': rb, 'iops_ratio': ri,
                    'ours_of_limit': p[OURS]['median'] / lm if lm else None,
                    'intree_of_limit': p[INTREE]['median'] / lm if lm else None,
                    'reps': p[OURS]['reps']}
            out.append(item)
            name = key[1] if key[0] == 'file' else 'raw'
            lines.append(['%s -M %s' % (name, key[2]), key[3], fmt(item['bw_ours'], 1),
                          fmt(item['bw_intree'], 1), fmt_ratio(rb), fmt_ratio(ri),
                          fmt(item['ours_of_limit']), fmt(item['intree_of_limit'])])
        tabs[label] = lines
    return out, tabs


def iomem(rows, labels):
    """O_DIRECT with DAX buffers against anonymous buffers"""
    out, tabs = [], {}
    for label in labels:
        rs = [r for r in index(rows, 'iomem') if r['label'] == label and r['figure'] == 'bw']
        lim = limits(rows, label)
        anon = {(r['workload'], r['buffer']): r for r in rs if r['buffer'] != 'dax'}
        lines = []
        for r in sorted(rs, key=lambda r: (r['workload'], r['fs'], r['memmap'])):
            if r['buffer'] != 'dax':
                continue
            base = anon.get((r['workload'], 'malloc'))
            rr = ratio(r, base)
            rm = ratio(r, anon.get((r['workload'], 'mmap')))
            lm = limit_for(r, lim)
            item = {'label': label, 'workload': r['workload'], 'fs': r['fs'],
                    'memmap': r['memmap'], 'driver': r['driver'], 'bw_dax': r['median'],
                    'bw_malloc': base['median'] if base else None, 'ratio_malloc': rr,
                    'ratio_mmap': rm, 'dax_of_limit': r['median'] / lm if lm else None,
                    'reps': r['reps']}
            out.append(item)
            lines.append([r['workload'], '%s -M %s %s' % (r['fs'], r['memmap'], r['driver']),
                          fmt(r['median'], 1), fmt(item['bw_malloc'], 1), fmt_ratio(rr),
                          fmt_ratio(rm), fmt(item['dax_of_limit'])])
        tabs[label] = lines
    return out, tabs


def gup(rows, labels):
    """ns per page, DAX against anonymous memory of the same page size"""
    out, tabs = [], {}
    for label in labels:
        rs = [r for r in index(rows, 'gup') if r['label'] == label]
        by = {}
        for r in rs:
            test = r['workload'].split()[-1]
            by.setdefault((r['mapping'], r['fs'], r['memmap'], r['driver'], test), {})[r['figure']] = r
        lines = []
        for key in sorted(by):
            mapping, fs, memmap, drv, test = key
            if not mapping.startswith('dax'):
                continue
            anon_key = ('anon-thp' if mapping == 'dax-pmd' else 'anon-4k', 'anon', '-', '-', test)
            d, a = by[key], by.get(anon_key, {})
            rg = ratio(d.get('get_ns_per_page'), a.get('get_ns_per_page'))
            rp = ratio(d.get('put_ns_per_page'), a.get('put_ns_per_page'))
            tot_d = sum(d[f]['median'] for f in d)
            tot_a = sum(a[f]['median'] for f in a) if a else None
            g = d.get('get_ns_per_page', {})
            item = {'label': label, 'mapping': mapping, 'fs': fs, 'memmap': memmap,
                    'driver': drv, 'test': test, 'get_ratio': rg, 'put_ratio': rp,
                    'total_ratio': tot_d / tot_a if tot_a else None,
                    'dax_get_ns': g.get('median'), 'pmd_kb': g.get('pmd_kb'),
                    'pte_kb': g.get('pte_kb'), 'reps': g.get('reps')}
            out.append(item)
            lines.append([test, '%s %s -M %s %s' % (mapping, fs, memmap, drv),
                          '%s/%s' % (fmt(g.get('pmd_kb'), 0) if g else '-',
                                     fmt(g.get('pte_kb'), 0) if g else '-'),
                          fmt(g.get('median')), fmt(a.get('get_ns_per_page', {}).get('median')),
                          fmt_ratio(rg), fmt_ratio(rp), fmt(item['total_ratio'])])
        tabs[label] = lines
    return out, tabs


FSYNC_STATES = ('clean', 'one-store', 'all-pages', 'pinned')


def fsync(rows, labels):
    """fsync() with a long-term write pin held, against the same file unpinned"""
    out, tabs = [], {}
    for label in labels:
        by = {}
        for r in index(rows, 'fsync'):
            if r['label'] == label:
                key = (r['fs'], r['memmap'], r['driver'], r['mib'])
                by.setdefault(key, {})[r['figure']] = r
        lines = []
        for key in sorted(by):
            f = by[key]
            rc = ratio(f.get('pinned'), f.get('clean'))
            ra = ratio(f.get('pinned'), f.get('all-pages'))
            out.append({'label': label, 'fs': key[0], 'memmap': key[1], 'driver': key[2],
                        'mib': key[3], 'us': {k: v['median'] for k, v in f.items()},
                        'pinned_clean': rc, 'pinned_all_pages': ra})
            lines.append(['%s -M %s %s' % key[:3], key[3]] +
                         [fmt(f[s]['median'], 1) if s in f else '-' for s in FSYNC_STATES] +
                         [fmt_ratio(rc), fmt_ratio(ra)])
        tabs[label] = lines
    return out, tabs


def memmap(rows, labels):
    out, tabs = [], {}
    for label in labels:
        rs = [r for r in index(rows, 'memmap') if r['label'] == label]
        by = {(r['driver'], r['memmap']): r for r in rs}
        lines = []
        for drv in sorted({r['driver'] for r in rs}):
            mem, dev = by.get((drv, 'mem')), by.get((drv, 'dev'))
            frac = dev['median'] / mem['median'] if mem and dev and mem['median'] else None
            out.append({'label': label, 'driver': drv,
                        'mem_kb_per_gib': mem and mem['median'],
                        'dev_kb_per_gib': dev and dev['median'], 'dev_of_mem': frac})
            lines.append([drv, fmt(mem and mem['median'], 0), fmt(dev and dev['median'], 0),
                          fmt(frac * 100 if frac is not None else None, 2) + ' %'])
        tabs[label] = lines
    return out, tabs


def kernels(rows, labels):
    """the same figure on each kernel, as a ratio to the first (patched)"""
    if len(labels) < 2:
        return [], []
    keyf = ('bench', 'driver', 'memmap', 'fs', 'target', 'buffer', 'mapping', 'workload', 'figure')
    by = {}
    for r in rows:
        if (r['bench'] not in ('fio', 'iomem', 'gup', 'memcpy', 'layout', 'unbind', 'fsync') or
                r.get('figure') == 'iops' or r.get('median') is None):
            continue
        by.setdefault(tuple(r.get(k, '') for k in keyf), {})[r['label']] = r
    ref = labels[0]
    out, lines = [], []
    for key in sorted(by):
        p = by[key]
        if ref not in p or len(p) < 2:
            continue
        item = {'key': dict(zip(keyf, key)), 'median': {l: p[l]['median'] for l in p},
                'ratio_to_' + ref: {l: ratio(p[ref], p[l]) for l in p if l != ref}}
        out.append(item)
        where = key[3] if key[3] not in ('-', '') else key[4]
        lines.append([key[0], '%s %s -M %s' % (where, key[1], key[2]), key[7], key[8]] +
                     [fmt(p[l]['median'] if l in p else None, 1) for l in labels] +
                     [fmt_ratio(ratio(p[ref], p[l])) if l in p else '-' for l in labels[1:]])
    return out, lines


def gnuplot(script, outdir):
    try:
        subprocess.run(['gnuplot'], input=script, text=True, cwd=outdir, check=True,
                       capture_output=True, timeout=120)
        return True
    except (OSError, subprocess.SubprocessError) as e:
        print('bench-report: gnuplot: %s' % getattr(e, 'stderr', e), file=sys.stderr)
        return False


def bars(outdir, name, title, ylabel, cats, series):
    """a clustered bar chart: cats on x, one bar per series (median, min-max)"""
    dat = os.path.join(outdir, name + '.dat')
    with open(dat, 'w') as f:
        for i, c in enumerate(cats):
            cells = []
            for _, vals in series:
                v = vals.get(c)
                cells += [v['median'], v['min'], v['max']] if v else ['NaN'] * 3
            f.write('"%s" %s\n' % (c.replace('"', ''), ' '.join(str(x) for x in cells)))
    plots = ', '.join("'%s.dat' using %d:%d:%d%s title '%s'" %
                      (name, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, ':xtic(1)' if i == 0 else '', s)
                      for i, (s, _) in enumerate(series))
    script = '''set terminal pngcairo size %d,520 font ",9"
set output '%s.png'
set title "%s" noenhanced
set ylabel "%s"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.7 border -1
set xtics rotate by -35 noenhanced
set key top right noenhanced
set grid ytics
set yrange [0:*]
plot %s
''' % (max(700, 60 * len(cats) * max(1, len(series)) // 2 + 200), name, title, ylabel, plots)
    ok = gnuplot(script, outdir)
    return name + '.png' if ok and os.path.exists(os.path.join(outdir, name + '.png')) else None


def plots(outdir, rows, labels):
    made = []
    for label in labels:
        fio = [r for r in index(rows, 'fio') if r['label'] == label and r['figure'] == 'bw']
        for tgt in sorted({(r['target'], r['fs'], r['memmap']) for r in fio}):
            rs = [r for r in fio if (r['target'], r['fs'], r['memmap']) == tgt]
            cats = sorted({r['workload'] for r in rs})
            series = [(d, {r['workload']: r for r in rs if r['driver'] == d})
                      for d in (OURS, INTREE) if any(r['driver'] == d for r in rs)]
            where = tgt[1] if tgt[0] == 'file' else 'raw'
            made.append(bars(outdir, 'fio-%s-%s-%s' % (label, where, tgt[2]),
                             'fio %s -M %s, %s kernel: ours vs in-tree' % (where, tgt[2], label),
                             'MiB/s', cats, series))
        io = [r for r in index(rows, 'iomem') if r['label'] == label and r['figure'] == 'bw']
        if io:
            cats = sorted({r['workload'] for r in io})
            names = sorted({(r['buffer'], r['fs'], r['memmap'], r['driver']) for r in io})
            series = [(b if b != 'dax' else 'dax %s -M %s %s' % (fs, mm, d),
                       {r['workload']: r for r in io
                        if (r['buffer'], r['fs'], r['memmap'], r['driver']) == (b, fs, mm, d)})
                      for b, fs, mm, d in names]
            made.append(bars(outdir, 'iomem-%s' % label,
                             'O_DIRECT buffers: DAX mapping vs anonymous, %s kernel' % label,
                             'MiB/s', cats, series))
        g = [r for r in index(rows, 'gup') if r['label'] == label]
        if g:
            cats = sorted({r['workload'].split()[-1] + ' ' + r['figure'].split('_')[0]
                           for r in g})
            names = sorted({(r['mapping'], r['fs'], r['memmap'], r['driver']) for r in g})
            series = [('%s %s %s %s' % n if n[1] != 'anon' else n[0],
                       {r['workload'].split()[-1] + ' ' + r['figure'].split('_')[0]: r
                        for r in g if (r['mapping'], r['fs'], r['memmap'], r['driver']) == n})
                      for n in names]
            made.append(bars(outdir, 'gup-%s' % label,
                             'gup_test over %s MiB, %s kernel' % (g[0].get('mib'), label),
                             'ns per page', cats, series))
    return [m for m in made if m]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out')
    ap.add_argument('--no-plots', action='store_true', help='tables and JSON only')
    ap.add_argument('runs', nargs='*')
    a = ap.parse_args()
    results = os.path.join(os.environ.get('O') or os.path.expanduser('~/.cache/daxgup'), 'results')
    runs = a.runs or latest_runs(results)
    if not runs:
        sys.exit('bench-report: no bench run under %s (make bench first)' % results)
    envs, rows = [], []
    for run in runs:
        env, rs = load_run(run)
        envs.append(dict(env, dir=os.path.realpath(run), figures=len(rs)))
        rows += rs
    if not rows:
        sys.exit('bench-report: no "# json: " figure in %s' % ' '.join(runs))
    labels = []
    for r in rows:
        if r['label'] not in labels:
            labels.append(r['label'])
    labels.sort(key=lambda l: (KERNEL_ORDER + [l]).index(l))
    if a.out:
        outdir = a.out
    elif len(runs) == 1:
        outdir = os.path.join(runs[0], 'report')
    else:
        outdir = os.path.join(results, 'bench-report-' + time.strftime('%Y%m%d-%H%M%S'))
    os.makedirs(outdir, exist_ok=True)
    if not a.out and len(runs) > 1:
        link = os.path.join(results, 'bench-report-latest')
        if os.path.islink(link) or not os.path.exists(link):
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(outdir, link)

    drv, drv_t = drivers(rows, labels)
    iom, iom_t = iomem(rows, labels)
    gp, gp_t = gup(rows, labels)
    mm, mm_t = memmap(rows, labels)
    fsy, fsy_t = fsync(rows, labels)
    kn, kn_t = kernels(rows, labels)
    png = [] if a.no_plots else plots(outdir, rows, labels)

    md = ['# daxgup bench report', '',
          'Runs: ' + ', '.join('%s (%s, %s, driver %s, %d figures)' %
                               (e.get('KERNEL', '?'), e.get('RELEASE', '?'), e.get('ACCEL', '?'),
                                e.get('DRIVER', '?'), e['figures']) for e in envs), '',
          'Every figure is the median over the runs (min-max of the ratio in parentheses: '
          'worst and best pairing of the runs). "of limit": the bandwidth as a fraction of '
          'single-thread memcpy in the same boot.', '']
    summary = []
    for label in labels:
        lim = limits(rows, label)
        md += ['## %s kernel' % label, '']
        if lim:
            md += ['memcpy limit (MiB/s, one thread): ' +
                   ', '.join('%s %.0f' % (k, v) for k, v in sorted(lim.items())), '']
        if drv_t.get(label):
            t = table(['target', 'workload', 'ours MiB/s', 'in-tree MiB/s', 'bw ours/in-tree',
                       'IOPS ours/in-tree', 'ours of limit', 'in-tree of limit'], drv_t[label])
            md += ['### ours (daxgup_pmem) / in-tree (nd_pmem), goal >= 1.00', '', t, '']
        if iom_t.get(label):
            t = table(['workload', 'DAX buffer on', 'DAX MiB/s', 'malloc MiB/s',
                       'DAX/malloc', 'DAX/mmap', 'DAX of limit'], iom_t[label])
            md += ['### O_DIRECT into/from a DAX mapping / anonymous memory, goal >= 0.95', '', t, '']
        if gp_t.get(label):
            t = table(['test', 'mapping', 'PMD/PTE kB', 'DAX get ns/page', 'anon get ns/page',
                       'get DAX/anon', 'put DAX/anon', '(get+put) DAX/anon'], gp_t[label])
            md += ['### gup_test time per page, DAX / anonymous (PTE vs 4 KiB, PMD vs THP), '
                   'goal <= 1.25', '', t, '']
        prof = [r for r in index(rows, 'gup-profile') if r['label'] == label]
        if prof:
            lines = []
            for m in ('anon-4k', 'dax-pte', 'anon-thp', 'dax-pmd'):
                top = [r for r in prof if r['mapping'] == m][:6]
                lines += [[m, r['samples_total'], '`%s`' % r['symbol'], fmt(r['samples_pct'], 1)]
                          for r in top]
            md += ['### where GUP/PIN time goes: perf cpu-clock samples per symbol '
                   '(whole guest, gup_bench on one mapping)', '',
                   table(['mapping', 'samples', 'symbol', '% of samples'], lines), '']
        fprof = [r for r in index(rows, 'fio-profile') if r['label'] == label]
        if fprof:
            lines = [['%s %s -M %s' % (r['target'], r['fs'], r['memmap']), r['driver'],
                      fmt(r['iops'], 0), fmt(r['us_per_io']), fmt(r['driver_us_per_io']),
                      fmt(r['copy_us_per_io']), fmt(r['kernel_us_per_io']),
                      fmt(r['user_us_per_io']),
                      ', '.join('`%s` %s' % (t[0], fmt(t[2], 1)) for t in r['top'][:3])]
                     for r in sorted(fprof, key=lambda r: (r['target'], r['fs'], r['memmap'],
                                                            r['driver']))]
            md += ['### where fio time goes per driver: the time of an I/O split by perf samples '
                   '(randread 4k psync qd1, fio\'s process)', '',
                   table(['target', 'driver', 'IOPS', 'us/IO', 'driver', 'copy',
                          'rest of kernel', 'fio', 'largest symbols (% of samples)'], lines), '']
        if fsy_t.get(label):
            t = table(['file', 'MiB', 'clean us', 'one store us', 'all pages us', 'pinned us',
                       'pinned/clean', 'pinned/all pages'], fsy_t[label])
            md += ['### fdatasync() with the whole file long-term pinned for writing (io_uring '
                   'fixed buffer, nothing written) against the file unpinned', '', t, '']
        if mm_t.get(label):
            t = table(['driver', '-M mem kB/GiB', '-M dev kB/GiB', 'dev/mem'], mm_t[label])
            md += ['### memmap RAM per GiB of namespace, goal for -M dev <= 1 % of -M mem', '', t, '']
        for it in [d for d in drv if d['label'] == label]:
            summary.append((label, 'ours/in-tree bw', '%s %s -M %s' % (
                it['target'] if it['target'] == 'raw' else it['fs'], it['workload'], it['memmap']),
                it['bw_ratio']))
        for it in [d for d in iom if d['label'] == label]:
            summary.append((label, 'DAX/malloc bw', '%s %s -M %s %s' % (
                it['workload'], it['fs'], it['memmap'], it['driver']), it['ratio_malloc']))
        for it in [d for d in gp if d['label'] == label]:
            summary.append((label, 'GUP DAX/anon get', '%s %s %s -M %s %s' % (
                it['test'], it['mapping'], it['fs'], it['memmap'], it['driver']), it['get_ratio']))
    if kn_t:
        t = table(['bench', 'where', 'workload', 'figure'] + labels +
                  ['%s/%s' % (labels[0], l) for l in labels[1:]], kn_t)
        md += ['## kernels side by side (medians; ratio of %s to each)' % labels[0], '', t, '']
    if png:
        md += ['## plots', ''] + ['![%s](%s)' % (p, p) for p in png] + ['']
    with open(os.path.join(outdir, 'bench.md'), 'w') as f:
        f.write('\n'.join(md))
    with open(os.path.join(outdir, 'bench.json'), 'w') as f:
        json.dump({'runs': envs, 'figures': rows, 'drivers': drv, 'iomem': iom, 'gup': gp,
                   'memmap': mm, 'fsync': fsy, 'kernels': kn, 'plots': png}, f, indent=1)

    # The terminal: one line per ratio group, the medians' spread.
    groups = {}
    for label, what, _, r in summary:
        if r:
            groups.setdefault((label, what), []).append(r['median'])
    for (label, what), v in sorted(groups.items()):
        print('%-8s %-18s median of %3d ratios %.2f (lowest %.2f, highest %.2f)' %
              (label, what, len(v), statistics.median(v), min(v), max(v)))
    # Times of layout changes and unbinds: the first kernel's over each other's.
    times = {}
    for it in kn:
        if it['key']['bench'] in ('layout', 'unbind'):
            for l, r in it['ratio_to_' + labels[0]].items():
                if r:
                    times.setdefault((it['key']['bench'], l), []).append(r['median'])
    for (bench, l), v in sorted(times.items()):
        print('%-8s %-18s median of %3d ratios %.2f (lowest %.2f, highest %.2f)' %
              ('%s/%s' % (labels[0], l), bench + ' time', len(v), statistics.median(v),
               min(v), max(v)))
    for it in mm:
        if it['dev_of_mem'] is not None:
            print('%-8s memmap -M dev/mem   %-12s %.2f %%' % (it['label'], it['driver'],
                                                             it['dev_of_mem'] * 100))
    print('bench-report: %s/bench.md, bench.json, %d plot(s)' % (outdir, len(png)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
