// SPDX-License-Identifier: GPL-2.0
/*
 * gup_dax: get_user_pages() and pin_user_pages() on MAP_SHARED mappings of
 * DAX files, through CONFIG_GUP_TEST's /sys/kernel/debug/gup_test.
 *
 * For every DAX filesystem x {PTE, PMD mapping} x {GUP_FAST, PIN_FAST,
 * GUP_BASIC, PIN_BASIC}: the ioctl must take every page of the range (the
 * size it reports back covers the whole range), the pin tests must find the
 * pages dma-pinned (gup_test warns in the kernel log otherwise, which the
 * lab fails), and after munmap and unlink nothing may keep the file busy.
 */
#include <sys/ioctl.h>
#include <linux/types.h>

#include "daxgup.h"
#include "mm/gup_test.h"

#define MAP_LEN		(4 * SZ_2M)
#define FOLL_WRITE	0x01

static const struct {
	const char *name;
	unsigned long cmd;
} ops[] = {
	{ "GUP_FAST", GUP_FAST_BENCHMARK },
	{ "PIN_FAST", PIN_FAST_BENCHMARK },
	{ "GUP_BASIC", GUP_BASIC_TEST },
	{ "PIN_BASIC", PIN_BASIC_TEST },
};

#define NR_OPS (sizeof(ops) / sizeof(ops[0]))

static void run_case(int gfd, const struct dax_mount *m, enum dax_level level, int op)
{
	char name[512], path[512], why[160] = "";
	struct gup_test gup = { 0 };
	uint8_t *map = NULL;
	int fd;

	snprintf(name, sizeof(name), "%s/%s/%s: %s over %s-mapped DAX file (%s)",
		 m->fs, m->memmap, m->driver, ops[op].name, level_name(level), m->dev);
	snprintf(path, sizeof(path), "%s/gup-%d", m->dir, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, MAP_LEN)) {
		snprintf(why, sizeof(why), "file setup: %s", strerror(errno));
		goto out;
	}
	map = dax_map(fd, MAP_LEN, level);
	if (!map) {
		snprintf(why, sizeof(why), "mmap: %s", strerror(errno));
		goto out;
	}
	memset(map, 0x5a, MAP_LEN);
	if (!dax_level_ok(map, MAP_LEN, level, why, sizeof(why)))
		goto out;
	gup.addr = (uintptr_t)map;
	gup.size = MAP_LEN;
	gup.nr_pages_per_call = 512;
	gup.gup_flags = FOLL_WRITE;
	if (ioctl(gfd, ops[op].cmd, &gup)) {
		snprintf(why, sizeof(why), "ioctl: %s", strerror(errno));
		goto out;
	}
	if (gup.size != MAP_LEN)
		snprintf(why, sizeof(why), "took %llu of %lu bytes",
			 (unsigned long long)gup.size, MAP_LEN);
	else
		ksft_print_msg("%s: %llu us to get, %llu us to put %lu pages\n", name,
			       (unsigned long long)gup.get_delta_usec,
			       (unsigned long long)gup.put_delta_usec, MAP_LEN / SZ_4K);
out:
	if (map)
		munmap(map, MAP_LEN);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	report_case(name, why);
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	int n = dax_mounts(mounts, MAX_MOUNTS), i, l, op, gfd;

	ksft_print_header();
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	gfd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gfd < 0)
		ksft_exit_skip("no /sys/kernel/debug/gup_test: kernel without CONFIG_GUP_TEST (%s)\n",
			       strerror(errno));
	ksft_set_plan(n * 2 * NR_OPS);
	for (i = 0; i < n; i++)
		for (l = DAX_PTE; l <= DAX_PMD; l++)
			for (op = 0; op < (int)NR_OPS; op++)
				run_case(gfd, &mounts[i], l, op);
	close(gfd);
	ksft_finished();
}
