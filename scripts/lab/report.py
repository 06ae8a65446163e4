#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Collect what the lab's guest boots wrote back into one TAP stream, a JSON
file and the closing line "N passed, N failed, N skipped".

  report.py pending BOOT_DIR   plan lines of BOOT_DIR/plan that never started
  report.py summary RUN_DIR... aggregate each RUN_DIR/boot*/ into its
                               results.tap and results.json, print one TAP
                               stream (test names prefixed with the driver
                               when there are several runs) and the totals;
                               exit 1 on any failure
  report.py matrix RUN_DIR...  a markdown table from the results.json of
                               each RUN_DIR: per test, passed/failed/
                               skipped/XFAIL cases under each run's kernel,
                               variant and driver
"""
import fnmatch
import glob
import json
import os
import re
import sys

TAP_LINE = re.compile(r'^(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*?)\s*(?:#\s*(SKIP|XFAIL|TODO)\b\s*(.*))?$')
PLAN_LINE = re.compile(r'^1\.\.(\d+)')
SKIP_ALL = re.compile(r'^1\.\.0\s*#\s*SKIP\s*(.*)$')
KSFT_SKIP = 4


def read(path, default=''):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return default


def plan_lines(boot):
    out = []
    for line in read(os.path.join(boot, 'plan')).splitlines():
        if line.strip() and not line.startswith('#'):
            out.append(line)
    return out


def progress(boot):
    started, ended, events = [], {}, []
    for line in read(os.path.join(boot, 'progress')).splitlines():
        f = line.split()
        if not f:
            continue
        events.append(f[0])
        if f[0] == 'start':
            started.append(f[1])
        elif f[0] == 'end':
            ended[f[1]] = int(f[2])
    return started, ended, events


def cmd_pending(boot):
    started, _, _ = progress(boot)
    for line in plan_lines(boot):
        if line.split()[0] not in started:
            print(line)


def parse_tap(text):
    """Top-level KTAP results of one test's output; each case with the
    diagnostic lines printed since the previous result ('diag')."""
    cases, planned, diag, diags = [], None, '', []
    for line in text.splitlines():
        if line.startswith('# '):
            diag = line[2:].strip()
            diags.append(diag)
            continue
        m = PLAN_LINE.match(line)
        if m and planned is None:
            planned = int(m.group(1))
            continue
        m = TAP_LINE.match(line)
        if not m:
            continue
        ok, _, desc, directive, reason = m.groups()
        if directive == 'SKIP':
            status = 'skipped'
        elif directive == 'XFAIL':
            status = 'xfail'
        else:
            status = 'passed' if ok == 'ok' else 'failed'
        if status == 'xfail' and not desc:
            desc, _, reason = (reason or '').partition(': known bug')
            reason = 'known bug' + reason if reason else ''
        cases.append({'name': desc, 'status': status,
                      'reason': (reason or '').strip() or
                      (diag if status == 'failed' else ''),
                      'diag': diags})
        diag, diags = '', []
    return cases, planned


def known_crash(top, name, env):
    """The reason a crash of @name is a known bug on this kernel and driver."""
    path = os.path.join(top, 'tools/testing/selftests/daxgup/known-crashes')
    for line in read(path).splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        f = line.split(None, 3)
        if len(f) == 4 and fnmatch.fnmatch(name, f[0]) and \
                env.get('KERNEL') in f[1].split(',') and \
                env.get('DRIVER') in f[2].split(','):
            return f[3]
    return None


def known_failures(top):
    """The entries of known-failures: dicts of its keys, regexes compiled."""
    path = os.path.join(top, 'tools/testing/selftests/daxgup/known-failures')
    entries, cur = [], {}
    for line in read(path).splitlines() + ['']:
        if line.startswith('#'):
            continue
        if not line.strip():
            if cur:
                entries.append(cur)
            cur = {}
            continue
        key, _, val = line.strip().partition(' ')
        cur[key] = val.strip()
    for e in entries:
        for key in ('case', 'symptom', 'kernel'):
            if e.get(key):
                e[key] = re.compile(e[key])
        e['kernels'] = e.get('kernels', '').split()
    return entries


def apply_known(top, name, env, cases, reports):
    """Known bugs of this kernel in the cases of test @name (known-failures):
    a failure that shows the bug's symptom becomes XFAIL, a pass shows
    nothing and becomes what the entry says; kernel reports that are the
    symptom of a bug shown are set apart.  Returns the kernel reports left
    and those set apart."""
    shown = []
    for e in known_failures(top):
        if e.get('test') != name or env.get('KERNEL') not in e['kernels']:
            continue
        for c in cases:
            if c.get('known') or not e['case'].search(c['name']):
                continue
            bug = 'known bug on %s kernel: %s' % (env.get('KERNEL'), e.get('reason', ''))
            if c['status'] == 'failed' and \
                    any(e['symptom'].search(d) for d in c.get('diag', [])):
                c.update(status='xfail', reason=bug, known=True)
                shown.append(e)
            elif c['status'] == 'passed':
                skip = e.get('pass') == 'skip'
                c.update(status='skipped' if skip else 'failed', known=True,
                         reason=('no evidence of the ' if skip else 'did not show the ') + bug)
    allowed = [e['kernel'] for e in shown if e.get('kernel')]
    known = [r for r in reports if any(a.search(r) for a in allowed)]
    return [r for r in reports if r not in known], known


def judge(boot, name, ended, crashed):
    tap = read(os.path.join(boot, 'tap', name + '.tap'))
    cases, planned = parse_tap(tap)
    extra = []
    reports = [l for l in read(os.path.join(boot, 'dmesg', name + '.reports')).splitlines() if l]
    if crashed:
        extra.append({'name': name + ': guest crashed or hung', 'status': 'failed',
                      'reason': crashed})
    else:
        rc = ended[name]
        if rc == 124 or rc == 137:
            extra.append({'name': name + ': timed out', 'status': 'failed', 'reason': 'timeout'})
        elif not cases and rc == KSFT_SKIP:
            why = [m.group(1) for m in map(SKIP_ALL.match, tap.splitlines()) if m]
            extra.append({'name': name, 'status': 'skipped',
                          'reason': (why or tap.strip().splitlines() or ['skipped'])[-1]})
        elif not cases:
            extra.append({'name': name + ': no results', 'status': 'failed',
                          'reason': 'exit %d without TAP results' % rc})
        if planned is not None and cases and len(cases) < planned:
            extra.append({'name': name + ': plan', 'status': 'failed',
                          'reason': 'only %d of %d results' % (len(cases), planned)})
    return tap, cases + extra, reports


def collect(run):
    """The tests and boots of one run dir, judged."""
    env = dict(l.split('=', 1) for l in read(os.path.join(run, 'run.env')).splitlines() if '=' in l)
    tests, boots = [], []
    for boot in sorted(glob.glob(os.path.join(run, 'boot*')),
                       key=lambda p: int(re.sub(r'\D', '', os.path.basename(p)) or 0)):
        started, ended, events = progress(boot)
        boots.append({'dir': os.path.basename(boot),
                      'seconds': int(read(os.path.join(boot, 'boot-seconds'), '0') or 0),
                      'reached_userspace': 'ready' in events})
        for name in started:
            crashed = None
            if name not in ended:
                crashed = 'guest stopped while it ran (console: %s)' % os.path.join(boot, 'console.log')
            tap, cases, reports = judge(boot, name, ended, crashed)
            reports, known = apply_known(env.get('TOP', ''), name, env, cases, reports)
            rc = ended.get(name)
            # After apply_known(): an exit code that no failed (or known
            # failed) case explains is a failure of its own, e.g. a test
            # that crashed after its last result.
            if not crashed and rc not in (None, 0, KSFT_SKIP, 124, 137) and \
                    any(c['status'] in ('passed', 'failed', 'xfail', 'skipped') for c in cases) and \
                    not (rc == 1 and any(c['status'] in ('failed', 'xfail') for c in cases)):
                cases.append({'name': name + ': exit code', 'status': 'failed',
                              'reason': 'exit %d' % rc})
            for c in cases:
                c.pop('diag', None)
            if reports:
                cases.append({'name': name + ': kernel log', 'status': 'failed',
                              'reason': reports[0].strip()})
            why = crashed and known_crash(env.get('TOP', ''), name, env)
            if why:
                # The crash is the known bug's symptom: XFAIL, whatever the
                # test printed before the kernel went down.
                cases = [{'name': name, 'status': 'xfail',
                          'reason': 'guest crashed: known bug: ' + why}]
                reports = []
            failed = any(c['status'] == 'failed' for c in cases)
            tests.append({'name': name, 'boot': os.path.basename(boot),
                          'exit': ended.get(name), 'cases': cases,
                          'status': 'failed' if failed else 'passed',
                          'kernel_reports': reports, 'known_kernel_reports': known,
                          'tap': tap})
    return env, tests, boots


def tap_lines(tests, prefix):
    out = []
    for i, t in enumerate(tests, 1):
        out.append('# Subtest: %s%s' % (prefix, t['name']))
        out.extend('    ' + l for l in t['tap'].rstrip('\n').splitlines())
        for c in t['cases']:
            if c['name'].startswith(t['name'] + ':') or (c['name'] == t['name']) or \
                    c.get('known'):
                out.append('    # daxgup: %s %s %s' % (c['status'], c['name'], c['reason']))
        for r in t['kernel_reports'][:5]:
            out.append('    # kernel: ' + r.strip())
        for r in t.get('known_kernel_reports', [])[:5]:
            out.append('    # kernel (symptom of a known bug shown): ' + r.strip())
        out.append('%s %d %s%s' % ('not ok' if t['status'] == 'failed' else 'ok', i,
                                   prefix, t['name']))
    return out


def cmd_summary(runs):
    totals = {'passed': 0, 'failed': 0, 'skipped': 0, 'xfail': 0}
    everything = []
    for run in runs:
        env, tests, boots = collect(run)
        prefix = env.get('DRIVER', '') + '/' if len(runs) > 1 else ''
        mine = {'passed': 0, 'failed': 0, 'skipped': 0, 'xfail': 0}
        for t in tests:
            for c in t['cases']:
                mine[c['status']] += 1
                totals[c['status']] += 1
        with open(os.path.join(run, 'results.tap'), 'w') as f:
            f.write('\n'.join(['TAP version 13', '1..%d' % len(tests)] +
                              tap_lines(tests, '')) + '\n')
        everything.extend((prefix, t) for t in tests)
        for t in tests:
            del t['tap']
        doc = {'kernel': env.get('KERNEL'), 'release': env.get('RELEASE'),
               'variant': env.get('VARIANT') or None, 'accel': env.get('ACCEL'),
               'driver': env.get('DRIVER'), 'boots': boots, 'tests': tests,
               'totals': mine}
        with open(os.path.join(run, 'results.json'), 'w') as f:
            json.dump(doc, f, indent=1)
    # Reread the TAP written above for the combined stream on the terminal.
    out = ['TAP version 13', '1..%d' % len(everything)]
    n = 0
    for run in runs:
        env = dict(l.split('=', 1) for l in read(os.path.join(run, 'run.env')).splitlines() if '=' in l)
        prefix = env.get('DRIVER', '') + '/' if len(runs) > 1 else ''
        for line in read(os.path.join(run, 'results.tap')).splitlines()[2:]:
            m = re.match(r'^(not ok|ok) \d+ (.*)$', line)
            if m:
                n += 1
                line = '%s %d %s%s' % (m.group(1), n, prefix, m.group(2))
            elif line.startswith('# Subtest: '):
                line = '# Subtest: ' + prefix + line[len('# Subtest: '):]
            out.append(line)
    sys.stdout.write('\n'.join(out) + '\n')
    for run in runs:
        print('# results: %s/results.tap, results.json' % run)
    if totals['xfail']:
        print('# %d expected failure(s) (XFAIL): known bugs of this kernel, not passes' % totals['xfail'])
    print('%d passed, %d failed, %d skipped' % (totals['passed'], totals['failed'], totals['skipped']))
    return 1 if totals['failed'] or not everything else 0


def cmd_matrix(runs):
    cols, cells, order = [], {}, []
    for run in runs:
        try:
            with open(os.path.join(run, 'results.json')) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit('report.py: no results.json in %s (%s)' % (run, e))
        col = '/'.join(x for x in (doc['kernel'], doc['variant'], doc['driver']) if x)
        if col not in cols:
            cols.append(col)
        for t in doc['tests']:
            if t['name'] not in order:
                order.append(t['name'])
            n = cells.setdefault((t['name'], col), {'passed': 0, 'failed': 0,
                                                    'skipped': 0, 'xfail': 0})
            for c in t['cases']:
                n[c['status']] += 1
    out = ['| test | ' + ' | '.join(cols) + ' |', '| --- |' + ' --- |' * len(cols)]
    for name in order:
        row = []
        for col in cols:
            n = cells.get((name, col))
            row.append('-' if n is None else ' '.join(
                '%d %s' % (n[k], a) for k, a in (('passed', 'P'), ('failed', 'F'),
                                                 ('skipped', 'S'), ('xfail', 'X')) if n[k]) or '0')
        out.append('| %s | %s |' % (name, ' | '.join(row)))
    print('\n'.join(out))
    print('\nP passed, F failed, S skipped, X expected failure (known bug, XFAIL)')
    return 0


def main():
    cmds = {'pending': lambda a: cmd_pending(a[0]) or 0, 'summary': cmd_summary,
            'matrix': cmd_matrix}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == '__main__':
    sys.exit(main())
