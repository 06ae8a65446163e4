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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * A field of the /proc/self/smaps entry of the VMA that starts at @addr
 * ("Rss", "FilePmdMapped", ...), in kB; -1 when not found.
 */
static inline long smaps_kb(void *addr, const char *field)
{
	char line[512], want[64];
	bool in = false;
	long val = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s:", field);
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start == (uintptr_t)addr;
			continue;
		}
		if (in && !strncmp(line, want, strlen(want))) {
			val = strtol(line + strlen(want), NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Check that [addr, addr + len) is mapped at the asked level: all of it by
 * PMDs, or none of it.  On failure, say why in @why.
 */
static inline bool dax_level_ok(void *addr, size_t len, enum dax_level level,
				char *why, size_t whylen)
{
	long pmd = smaps_kb(addr, "FilePmdMapped");
	long rss = smaps_kb(addr, "Rss");

	if (level == DAX_PMD && pmd < (long)(len >> 10)) {
		snprintf(why, whylen, "FilePmdMapped %ld kB of %zu kB: fell back to PTEs",
			 pmd, len >> 10);
		return false;
	}
	if (level == DAX_PTE && (pmd != 0 || rss < (long)(len >> 10))) {
		snprintf(why, whylen, "FilePmdMapped %ld kB, Rss %ld kB: not a PTE mapping",
			 pmd, rss);
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
