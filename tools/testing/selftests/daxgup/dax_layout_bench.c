// SPDX-License-Identifier: GPL-2.0
/*
 * dax_layout_bench: what a layout change of a DAX file costs when nothing
 * is pinned -- the price of the busy-page scans the series adds.
 *
 * For each DAX filesystem, a file of DAXGUP_BENCH_MB (default 1024) MiB is
 * allocated and written, optionally mapped and faulted in with PMDs and
 * unmapped again (so its mapping holds DAX entries to scan), synced, then
 * truncated to 0 or hole-punched whole.  Each (mount, state, op) is repeated
 * DAXGUP_BENCH_REPS (default 9) times; the median, min and max of the
 * syscall's time are printed, and one JSON object per line prefixed with
 * "# json: ".  A benchmark, not an assertion: a case fails only when a
 * syscall does.
 */
#include <time.h>
#include <sys/utsname.h>
#include <linux/falloc.h>

#include "daxgup.h"

enum state { NEVER_MAPPED, WAS_MAPPED, NR_STATES };
static const char * const state_names[] = { "never-mapped", "was-mapped" };
enum op { OP_TRUNCATE, OP_PUNCH, NR_OPS };
static const char * const op_names[] = { "truncate", "punch" };

/* One timed run; the time in us, or a negative errno. */
static double one_run(const char *path, size_t len, enum state st, enum op op)
{
	size_t off, chunk = SZ_2M;
	void *buf = anon_buf(chunk);
	double t0, t1;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !buf)
		return -errno;
	memset(buf, 0xa5, chunk);
	for (off = 0; off < len; off += chunk)
		if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk)
			goto fail;
	if (st == WAS_MAPPED) {
		uint8_t *p = dax_map(fd, len, DAX_PMD);

		if (!p)
			goto fail;
		for (off = 0; off < len; off += SZ_2M)
			((volatile uint8_t *)p)[off];
		munmap(p, len);
	}
	/*
	 * Time the layout change alone: the journal commit of the writes and,
	 * on xfs, the background freeing of the previous run's file must not
	 * run into it.
	 */
	if (syncfs(fd))
		goto fail;
	t0 = now_us();
	if (op == OP_TRUNCATE)
		ret = ftruncate(fd, 0);
	else
		ret = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, len);
	t1 = now_us();
	if (ret)
		goto fail;
	close(fd);
	unlink(path);
	free(buf);
	return t1 - t0;
fail:
	ret = -errno;
	close(fd);
	unlink(path);
	free(buf);
	return ret;
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *mb = getenv("DAXGUP_BENCH_MB"), *r = getenv("DAXGUP_BENCH_REPS");
	size_t len = (mb ? strtoul(mb, NULL, 0) : 1024) << 20;
	int reps = r ? atoi(r) : 9, n = dax_mounts(mounts, MAX_MOUNTS), i, s, o, k;
	double t[64];
	struct utsname u;

	ksft_print_header();
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	if (reps < 1 || reps > 64)
		reps = 9;
	uname(&u);
	ksft_set_plan(n * NR_STATES * NR_OPS);
	for (i = 0; i < n; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/layout-bench", mounts[i].dir);
		for (s = 0; s < NR_STATES; s++)
			for (o = 0; o < NR_OPS; o++) {
				char name[512];

				snprintf(name, sizeof(name), "%s/%s/%s: %s %zu MiB %s file",
					 mounts[i].fs, mounts[i].memmap, mounts[i].driver,
					 op_names[o], len >> 20, state_names[s]);
				for (k = 0; k < reps; k++) {
					t[k] = one_run(path, len, s, o);
					if (t[k] < 0)
						break;
				}
				if (k < reps) {
					ksft_print_msg("%s\n", strerror((int)-t[k]));
					ksft_test_result_fail("%s\n", name);
					continue;
				}
				qsort(t, reps, sizeof(t[0]), cmp_double);
				ksft_print_msg("json: {\"kernel\": \"%s\", \"fs\": \"%s\", \"memmap\": \"%s\", \"driver\": \"%s\", \"op\": \"%s\", \"state\": \"%s\", \"mib\": %zu, \"reps\": %d, \"median_us\": %.1f, \"min_us\": %.1f, \"max_us\": %.1f}\n",
					       u.release, mounts[i].fs, mounts[i].memmap, mounts[i].driver,
					       op_names[o], state_names[s], len >> 20, reps,
					       t[reps / 2], t[0], t[reps - 1]);
				ksft_test_result_pass("%s: median %.0f us (min %.0f, max %.0f, %d runs)\n",
						      name, t[reps / 2], t[0], t[reps - 1], reps);
			}
	}
	ksft_finished();
}
