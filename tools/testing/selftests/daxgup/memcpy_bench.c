// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy_bench: the ceiling for every bandwidth of make bench -- what one
 * thread of the guest moves with memcpy() between DRAM buffers, from DRAM
 * into a DAX mapping (the pmem range) and from the DAX mapping into DRAM.
 *
 * Buffers of DAXGUP_BENCH_MEMCPY_MB (default 256) MiB, written whole first
 * so that no fault is timed; the DAX side is a MAP_SHARED mapping of a file
 * on the first DAX filesystem (mapped with PMDs where the kernel can).
 * DAXGUP_BENCH_REPS (default 5) copies each; MiB/s, median, min and max,
 * one "# json: " line per direction.
 */
#include <time.h>
#include <sys/utsname.h>

#include "daxgup.h"

#define MAX_REPS	64

int main(void)
{
	const char *mb = getenv("DAXGUP_BENCH_MEMCPY_MB"), *r = getenv("DAXGUP_BENCH_REPS");
	size_t len = (mb ? strtoul(mb, NULL, 0) : 256) << 20;
	int reps = r ? atoi(r) : 5, n, fd, c, k;
	struct dax_mount mounts[MAX_MOUNTS];
	double bw[MAX_REPS], t0;
	uint8_t *a, *b, *pm;
	struct utsname u;
	char path[512];
	struct {
		const char *name;
		uint8_t *dst, *src;
	} cases[3];

	ksft_print_header();
	n = dax_mounts(mounts, MAX_MOUNTS);
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	if (reps < 1 || reps > MAX_REPS)
		reps = 5;
	if (!len || len % SZ_2M)
		ksft_exit_fail_msg("DAXGUP_BENCH_MEMCPY_MB must be a multiple of 2\n");
	uname(&u);
	a = anon_buf(len);
	b = anon_buf(len);
	snprintf(path, sizeof(path), "%s/memcpy-bench", mounts[0].dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!a || !b || fd < 0 || fallocate(fd, 0, 0, len))
		ksft_exit_fail_msg("buffers of %zu MiB, %s: %s\n", len >> 20, path,
				   strerror(errno));
	unlink(path);
	pm = dax_map(fd, len, DAX_PMD);
	if (!pm)
		ksft_exit_fail_msg("mapping %s: %s\n", path, strerror(errno));
	memset(a, 0x5a, len);
	memset(b, 0xa5, len);
	memset(pm, 0x3c, len);
	cases[0].name = "dram-to-dram";
	cases[0].dst = b;
	cases[0].src = a;
	cases[1].name = "dram-to-pmem";
	cases[1].dst = pm;
	cases[1].src = a;
	cases[2].name = "pmem-to-dram";
	cases[2].dst = b;
	cases[2].src = pm;
	ksft_set_plan(3);
	for (c = 0; c < 3; c++) {
		for (k = 0; k < reps; k++) {
			t0 = now_us() / 1e6;
			memcpy(cases[c].dst, cases[c].src, len);
			bw[k] = (len >> 20) / (now_us() / 1e6 - t0);
		}
		qsort(bw, reps, sizeof(bw[0]), cmp_double);
		ksft_print_msg("json: {\"bench\": \"memcpy\", \"kernel\": \"%s\", \"driver\": \"%s\", \"memmap\": \"%s\", \"fs\": \"%s\", \"workload\": \"memcpy %s\", \"figure\": \"bw\", \"unit\": \"MiB/s\", \"mib\": %zu, \"reps\": %d, \"median\": %.1f, \"min\": %.1f, \"max\": %.1f}\n",
			       u.release, mounts[0].driver, mounts[0].memmap,
			       mounts[0].fs, cases[c].name, len >> 20, reps,
			       bw[reps / 2], bw[0], bw[reps - 1]);
		ksft_test_result_pass("memcpy %s, %zu MiB, one thread: median %.0f MiB/s (min %.0f, max %.0f, %d runs)\n",
				      cases[c].name, len >> 20, bw[reps / 2], bw[0],
				      bw[reps - 1], reps);
	}
	munmap(pm, len);
	close(fd);
	ksft_finished();
}
