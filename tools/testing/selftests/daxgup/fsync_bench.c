// SPDX-License-Identifier: GPL-2.0
/*
 * fsync_bench: what fsync() of a DAX file costs while a range of it is
 * long-term pinned for writing.
 *
 * A device writes through a long-term pin without faulting, so nothing
 * would tell the filesystem that the pages changed: the series keeps the
 * DAX entries of write-pinned pages dirty, and every fsync() flushes each
 * entry that holds a pinned page from the CPU caches (2 MiB under a PMD),
 * written or not.  For each DAX filesystem a file of DAXGUP_BENCH_FSYNC_MB
 * (default 64, at most 1024: io_uring's limit) MiB is written, synced and
 * mapped MAP_SHARED (PMDs where the filesystem gives them; how much of it
 * is mapped by PMDs and PTEs is reported), and fdatasync() is timed
 * DAXGUP_BENCH_REPS (default 9) times in each state, after one untimed
 * call:
 *   clean      nothing written since the last call;
 *   one-store  one byte stored through the mapping before each call: one
 *              DAX entry dirty;
 *   all-pages  one byte stored into every 4 KiB page before each call:
 *              every entry dirty, the same flush as "pinned", paid
 *              because the CPU wrote;
 *   pinned     the whole mapping registered as an io_uring fixed buffer
 *              (a long-term write pin), nothing written.
 * fdatasync(), not fsync(): a store through the mapping write-faults,
 * which updates the file's times, and fsync() would commit them too; with
 * the pin held nothing dirties the inode, so fsync() costs what
 * fdatasync() does.  "pinned" next to "all-pages" is the price of the
 * rule; next to "clean", what a write pin costs a sync that had nothing to
 * do.  On a kernel without long-term pins of DAX files the registration
 * fails with EOPNOTSUPP and "pinned" is a skip.  One "# json: " line per
 * figure (microseconds, median, min and max); a benchmark, not an
 * assertion.
 */
#include <time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <linux/io_uring.h>

#include "daxgup.h"

#define MAX_REPS	64

enum state { CLEAN, ONE_STORE, ALL_PAGES, PINNED, NR_STATES };
static const char * const state_names[] = { "clean", "one-store", "all-pages", "pinned" };

static struct utsname uts;
static size_t len;
static int reps;

/* Time @reps fdatasync()s of @fd in state @st, after an untimed one; 0, or -1 (errno). */
static int time_sync(int fd, uint8_t *map, enum state st, double *v)
{
	size_t off;
	double t0;
	int i;

	if (fdatasync(fd))
		return -1;
	for (i = 0; i < reps; i++) {
		if (st == ONE_STORE)
			map[((size_t)i * SZ_2M) % len]++;
		else if (st == ALL_PAGES)
			for (off = 0; off < len; off += SZ_4K)
				map[off]++;
		t0 = now_us();
		if (fdatasync(fd))
			return -1;
		v[i] = now_us() - t0;
	}
	return 0;
}

/*
 * Register @map as an io_uring fixed buffer; the ring's fd, or -errno
 * with the call that failed in @call.
 */
static int register_buffer(uint8_t *map, const char **call)
{
	struct iovec iov = { .iov_base = map, .iov_len = len };
	struct io_uring_params p = { 0 };
	int ring, err;

	*call = "io_uring_setup";
	ring = syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0)
		return -errno;
	*call = "IORING_REGISTER_BUFFERS";
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1)) {
		err = errno;
		close(ring);
		return -err;
	}
	return ring;
}

static void run_mount(const struct dax_mount *m)
{
	char path[300], name[400];
	size_t off, pmd = 0, pte = 0;
	const char *call = "";
	double v[MAX_REPS];
	uint8_t *buf, *map;
	int fd, ring = -1;
	struct stat sb;
	enum state st;

	snprintf(path, sizeof(path), "%s/fsync_bench.%d", m->dir, getpid());
	buf = anon_buf(SZ_2M);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!buf || fd < 0 || fstat(fd, &sb))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	fill_pattern(buf, SZ_2M, 1);
	for (off = 0; off < len; off += SZ_2M)
		if (pwrite(fd, buf, SZ_2M, off) != SZ_2M)
			ksft_exit_fail_msg("writing %s: %s\n", path, strerror(errno));
	map = dax_map(fd, len, DAX_PMD);
	if (!map || fsync(fd))
		ksft_exit_fail_msg("mapping %s: %s\n", path, strerror(errno));
	for (off = 0; off < len; off += SZ_4K)
		(void)*(volatile uint8_t *)(map + off);
	if (mapped_bytes(map, len, &pmd, &pte))
		ksft_print_msg("PAGEMAP_SCAN: %s\n", strerror(errno));

	for (st = 0; st < NR_STATES; st++) {
		snprintf(name, sizeof(name),
			 "%s %s -M %s %s: fdatasync of %zu MiB (PMD %zu kB, PTE %zu kB), %s", m->fs,
			 m->driver, m->memmap, m->dir, len >> 20, pmd >> 10, pte >> 10,
			 state_names[st]);
		if (st == PINNED) {
			ring = register_buffer(map, &call);
			/* Only a kernel without long-term pins of DAX files may refuse. */
			if (ring == -EOPNOTSUPP && access(LONGTERM_PINS, F_OK)) {
				ksft_test_result_skip("%s: no long-term pin: %s: EOPNOTSUPP\n",
						      name, call);
				continue;
			}
			if (ring < 0) {
				ksft_test_result_fail("%s: %s: %s\n", name, call, errno_name(-ring));
				continue;
			}
		}
		if (time_sync(fd, map, st, v)) {
			ksft_test_result_fail("%s: fdatasync: %s\n", name, strerror(errno));
			continue;
		}
		qsort(v, reps, sizeof(v[0]), cmp_double);
		ksft_print_msg("json: {\"bench\": \"fsync\", \"kernel\": \"%s\", \"driver\": \"%s\", \"memmap\": \"%s\", \"fs\": \"%s\", \"workload\": \"fdatasync %zu MiB\", \"figure\": \"%s\", \"unit\": \"us\", \"mib\": %zu, \"pmd_kb\": %zu, \"pte_kb\": %zu, \"reps\": %d, \"median\": %.1f, \"min\": %.1f, \"max\": %.1f}\n",
			       uts.release, m->driver, m->memmap, m->fs, len >> 20,
			       state_names[st], len >> 20, pmd >> 10, pte >> 10, reps, v[reps / 2],
			       v[0], v[reps - 1]);
		ksft_test_result_pass("%s: median %.1f us\n", name, v[reps / 2]);
	}
	/* The release is asynchronous: let it end before the next mount's figures. */
	if (ring >= 0) {
		close(ring);
		if (!longterm_gone(path, sb.st_ino))
			ksft_print_msg("%s: the pin outlived the ring\n", path);
	}
	munmap(map, len);
	close(fd);
	unlink(path);
	free(buf);
}

int main(void)
{
	struct dax_mount m[MAX_MOUNTS];
	int n = dax_mounts(m, MAX_MOUNTS), i;
	unsigned long mb;
	const char *s;

	ksft_print_header();
	uname(&uts);
	s = getenv("DAXGUP_BENCH_FSYNC_MB");
	mb = s ? strtoul(s, NULL, 0) : 64;
	s = getenv("DAXGUP_BENCH_REPS");
	reps = s ? atoi(s) : 9;
	if (reps > MAX_REPS)
		reps = MAX_REPS;
	if (!mb || mb % 2 || mb > 1024 || reps < 1)
		ksft_exit_fail_msg("DAXGUP_BENCH_FSYNC_MB: even, 2-1024; DAXGUP_BENCH_REPS: 1 or more\n");
	len = mb << 20;
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	ksft_set_plan(n * NR_STATES);
	for (i = 0; i < n; i++)
		run_mount(&m[i]);
	ksft_finished();
}
