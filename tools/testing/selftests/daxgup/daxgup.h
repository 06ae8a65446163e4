/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the daxgup selftests: the DAX filesystems the lab set
 * up, mappings of DAX files with a chosen page-table level, data patterns,
 * and the kernel's verdict on how a range is mapped.
 */
#ifndef DAXGUP_TEST_H
#define DAXGUP_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/fs.h>

#include "kselftest.h"

#define SZ_4K		(4096UL)
#define SZ_2M		(2UL << 20)
#define MAX_MOUNTS	8

/* One DAX filesystem of the lab, from DAXGUP_MOUNTS (fs:dir:memmap:dev:driver). */
struct dax_mount {
	char fs[16];
	char dir[256];
	char memmap[8];
	char dev[32];
	char driver[32];
};

static inline int dax_mounts(struct dax_mount *m, int max)
{
	const char *env = getenv("DAXGUP_MOUNTS");
	char *copy, *tok, *save;
	int n = 0;

	if (!env)
		return 0;
	copy = strdup(env);
	for (tok = strtok_r(copy, " ", &save); tok && n < max;
	     tok = strtok_r(NULL, " ", &save)) {
		if (sscanf(tok, "%15[^:]:%255[^:]:%7[^:]:%31[^:]:%31s", m[n].fs,
			   m[n].dir, m[n].memmap, m[n].dev, m[n].driver) == 5)
			n++;
	}
	free(copy);
	return n;
}

/* The mapping granule a case asks for. */
enum dax_level { DAX_PTE, DAX_PMD };

static inline const char *level_name(enum dax_level l)
{
	return l == DAX_PMD ? "pmd" : "pte";
}

/*
 * Map @len bytes of @fd MAP_SHARED at a 2 MiB aligned address.  For DAX_PTE
 * the range is marked MADV_NOHUGEPAGE first, so faults install PTEs; for
 * DAX_PMD nothing is asked and the fault handler decides.
 */
static inline void *dax_map(int fd, size_t len, enum dax_level level)
{
	size_t span = len + SZ_2M;
	uint8_t *area, *p;

	area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)area + SZ_2M - 1) & ~(SZ_2M - 1));
	munmap(area, span);
	p = mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (level == DAX_PTE && madvise(p, len, MADV_NOHUGEPAGE)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

/*
 * How much of [addr, addr + len) the page tables map, by PMDs and by PTEs,
 * from PAGEMAP_SCAN (/proc/self/pagemap): PAGE_IS_HUGE marks PMD-mapped
 * ranges, DAX ones included.  (smaps cannot tell: DAX mappings have no Rss
 * and no FilePmdMapped.)  0, or -errno.
 */
static inline int mapped_bytes(void *addr, size_t len, size_t *pmd, size_t *pte)
{
	struct page_region regs[64];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)addr,
		.end = (uintptr_t)addr + len,
		.vec = (uintptr_t)regs,
		.vec_len = 64,
		.category_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_HUGE,
	};
	int fd = open("/proc/self/pagemap", O_RDONLY), n, i;

	*pmd = *pte = 0;
	if (fd < 0)
		return -errno;
	do {
		n = ioctl(fd, PAGEMAP_SCAN, &arg);
		if (n < 0) {
			n = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			if (regs[i].categories & PAGE_IS_HUGE)
				*pmd += regs[i].end - regs[i].start;
			else
				*pte += regs[i].end - regs[i].start;
		}
		arg.start = arg.walk_end;
	} while (n == 64 && arg.start < arg.end);
	close(fd);
	return n < 0 ? n : 0;
}

/*
 * Check that all of [addr, addr + len) is mapped, at the asked level: by
 * PMDs only, or by PTEs only.  On failure, say why in @why.
 */
static inline bool dax_level_ok(void *addr, size_t len, enum dax_level level,
				char *why, size_t whylen)
{
	size_t pmd, pte;
	int ret = mapped_bytes(addr, len, &pmd, &pte);

	if (ret) {
		snprintf(why, whylen, "PAGEMAP_SCAN: %s", strerror(-ret));
		return false;
	}
	if (level == DAX_PMD && pmd != len) {
		snprintf(why, whylen, "%zu kB of %zu kB mapped by PMDs (%zu kB by PTEs): fell back to PTEs",
			 pmd >> 10, len >> 10, pte >> 10);
		return false;
	}
	if (level == DAX_PTE && pte != len) {
		snprintf(why, whylen, "%zu kB of %zu kB mapped by PTEs (%zu kB by PMDs)",
			 pte >> 10, len >> 10, pmd >> 10);
		return false;
	}
	return true;
}

/* A pattern that differs per byte position and per seed. */
static inline void fill_pattern(void *buf, size_t len, uint32_t seed)
{
	uint32_t *w = buf, x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len / 4; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		w[i] = x;
	}
}

/* Offset of the first byte that differs from the pattern, or -1. */
static inline long check_pattern(const void *buf, size_t len, uint32_t seed)
{
	static uint32_t *ref;
	static size_t reflen;
	size_t i;

	if (reflen < len) {
		free(ref);
		ref = malloc(len);
		reflen = len;
	}
	fill_pattern(ref, len, seed);
	if (!memcmp(buf, ref, len))
		return -1;
	for (i = 0; i < len; i++)
		if (((const uint8_t *)buf)[i] != ((uint8_t *)ref)[i])
			return i;
	return -1;
}

/* The name of an errno value the long-term pin tests expect. */
static inline const char *errno_name(int err)
{
	switch (err) {
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case ETXTBSY: return "ETXTBSY";
	default: return strerror(err);
	}
}

#define LONGTERM_PINS	"/sys/kernel/debug/dax/longterm_pins"

/*
 * The line of the file @path (inode @ino) in the list of long-term pinned
 * DAX files ("sb=S ino=N pages=N write=N flushes=N pid=N comm=C since=N
 * path=P"), into @line; NULL if it has none (or there is no list).
 */
static inline char *longterm_line(const char *path, unsigned long ino, char *line,
				  size_t len)
{
	char want[48], wpath[320];
	FILE *f = fopen(LONGTERM_PINS, "r");
	char *found = NULL;

	if (!f)
		return NULL;
	snprintf(want, sizeof(want), " ino=%lu ", ino);
	snprintf(wpath, sizeof(wpath), " path=%s\n", path);
	while (!found && fgets(line, len, f))
		if (strstr(line, want) && strstr(line, wpath))
			found = line;
	fclose(f);
	if (found)
		line[strcspn(line, "\n")] = 0;
	return found;
}

/* A number field ("pages=") of such a line, or -1. */
static inline long longterm_field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? atol(p + strlen(key)) : -1;
}

/*
 * Releases are asynchronous (io_uring's and rxe's teardown, a deferred
 * fput): poll for 10 s at most until @path leaves the list.
 */
static inline bool longterm_gone(const char *path, unsigned long ino)
{
	char line[512];
	int i;

	for (i = 0; i < 1000; i++) {
		if (!longterm_line(path, ino, line, sizeof(line)))
			return true;
		usleep(10000);
	}
	ksft_print_msg("still listed after 10 s: %s\n", line);
	return false;
}

/*
 * The holder dies: a child maps @fd (the file @path, inode @ino) and pins
 * it long-term with @pin(@arg, @map), which returns 0, or -1 having said
 * why; the child is killed with SIGKILL while it pins.  True if the file
 * was listed while the child lived, left the list after its death, and
 * then truncates.
 */
static inline bool longterm_killed_holder(int fd, size_t len, const char *path,
					  unsigned long ino,
					  int (*pin)(void *arg, void *map), void *arg)
{
	char c = 0, line[512];
	bool was, gone = false;
	int p[2], ret = 0;
	pid_t pid;

	if (pipe(p))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!pid) {
		void *map = dax_map(fd, len, DAX_PMD);

		if (!map)
			ksft_print_msg("child: mapping %s: %s\n", path, strerror(errno));
		c = map && !pin(arg, map) ? 'p' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		c = 0;
	was = c == 'p' && longterm_line(path, ino, line, sizeof(line));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	if (c != 'p')
		return false;
	gone = longterm_gone(path, ino);
	ret = ftruncate(fd, 0);
	if (!was || ret)
		ksft_print_msg("listed while the child lived: %s; truncate after its death: %s\n",
			       was ? "yes" : "no", ret ? strerror(errno) : "works");
	return was && gone && !ret;
}

/* @m as test names show it: "fs/memmap/driver". */
static inline void mount_label(const struct dax_mount *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", m->fs, m->memmap, m->driver);
}

/* For the benchmarks: CLOCK_MONOTONIC in microseconds, and qsort() of doubles. */
static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* An aligned anonymous buffer for the O_DIRECT side that is not DAX. */
static inline void *anon_buf(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, SZ_2M, len))
		return NULL;
	return p;
}

/* Write @len bytes of @buf to @path at @off with O_DIRECT. */
static inline int direct_pwrite(const char *path, const void *buf, size_t len, off_t off)
{
	int fd = open(path, O_WRONLY | O_DIRECT);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

static inline int direct_pread(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY | O_DIRECT);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

/* One case's result: a pass, or a failure with its reason printed first. */
static inline void report_case(const char *name, const char *why)
{
	if (why[0]) {
		ksft_print_msg("%s\n", why);
		ksft_test_result_fail("%s\n", name);
	} else {
		ksft_test_result_pass("%s\n", name);
	}
}

/* Tell the lab's runner that a kernel report matching @re is the known bug
 * this test just reported as XFAIL, not a new failure.
 */
static inline void allow_kernel_report(const char *re)
{
	const char *path = getenv("DAXGUP_ALLOW");
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "%s\n", re);
	fclose(f);
}

#endif /* DAXGUP_TEST_H */
