// SPDX-License-Identifier: GPL-2.0
/*
 * gup_bench: what get_user_pages_fast() and pin_user_pages_fast() cost per
 * page over a DAX file mapping, next to anonymous memory.
 *
 * Mappings of DAXGUP_BENCH_GUP_MB (default 256) MiB: anonymous memory with
 * 4 KiB pages (MADV_NOHUGEPAGE) and with THPs (MADV_HUGEPAGE), and on each
 * DAX filesystem a MAP_SHARED mapping of a file with PTEs and with PMDs.
 * Each is written whole first, then how the page tables map it is checked
 * (PAGEMAP_SCAN) and reported.  GUP_FAST_BENCHMARK and PIN_FAST_BENCHMARK
 * of /sys/kernel/debug/gup_test (CONFIG_GUP_TEST) then take, and release,
 * a reference on every page, DAXGUP_BENCH_GUP_BATCH (default 512) pages a
 * call, DAXGUP_BENCH_REPS (default 5) times.  The kernel times both halves:
 * the get (or pin) and the put (or unpin).  PIN_LONGTERM_BENCHMARK then does
 * the same with pin_user_pages(FOLL_LONGTERM), what io_uring, RDMA and VFIO
 * pay to register a buffer; on a kernel without long-term pins of DAX
 * files (no dax/longterm_pins in debugfs), where gup_test takes none of a
 * DAX mapping, that case is a skip.  One "# json: " line per figure
 * (ns per page, median, min and max over the runs).
 * DAXGUP_BENCH_GUP_ONLY=<mapping> runs one mapping only (for profiling).
 * Without CONFIG_GUP_TEST (the stock kernel) the whole test skips.
 */
#include <time.h>
#include <sys/utsname.h>

#include "daxgup.h"
#include "mm/gup_test.h"

#define FOLL_WRITE	0x01
#define MAX_REPS	64

static const struct {
	unsigned long cmd;
	const char *name;
} tests[] = {
	{ GUP_FAST_BENCHMARK, "GUP_FAST" },
	{ PIN_FAST_BENCHMARK, "PIN_FAST" },
	{ PIN_LONGTERM_BENCHMARK, "PIN_LONGTERM" },
};

static struct utsname uts;
static int gup_fd, reps, batch;
static bool longterm_allowed;
static size_t len;

static void print_json(const struct dax_mount *m, const char *mapping,
		       const char *test, const char *figure, double *v,
		       size_t pmd, size_t pte)
{
	qsort(v, reps, sizeof(v[0]), cmp_double);
	ksft_print_msg("json: {\"bench\": \"gup\", \"kernel\": \"%s\", \"driver\": \"%s\", \"memmap\": \"%s\", \"fs\": \"%s\", \"mapping\": \"%s\", \"workload\": \"%s %s\", \"figure\": \"%s\", \"unit\": \"ns/page\", \"mib\": %zu, \"batch\": %d, \"pmd_kb\": %zu, \"pte_kb\": %zu, \"reps\": %d, \"median\": %.2f, \"min\": %.2f, \"max\": %.2f}\n",
		       uts.release, m ? m->driver : "-", m ? m->memmap : "-",
		       m ? m->fs : "anon", mapping, mapping, test, figure,
		       len >> 20, batch, pmd >> 10, pte >> 10, reps,
		       v[reps / 2], v[0], v[reps - 1]);
}

/* Map, populate and check one mapping; NULL (and @why) on failure. */
static void *setup_mapping(const struct dax_mount *m, bool huge, int *fdp,
			   char *why, size_t whylen)
{
	size_t pmd, pte, off;
	uint8_t *p;
	char path[512];
	int fd = -1;

	if (m) {
		snprintf(path, sizeof(path), "%s/gup-bench", m->dir);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || fallocate(fd, 0, 0, len)) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		unlink(path);
		p = dax_map(fd, len, huge ? DAX_PMD : DAX_PTE);
	} else {
		p = anon_buf(len);
		if (p && madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
			p = NULL;
	}
	if (!p) {
		snprintf(why, whylen, "mapping %zu MiB: %s", len >> 20, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (off = 0; off < len; off += SZ_4K)
		p[off] = 1;
	*fdp = fd;
	if (mapped_bytes(p, len, &pmd, &pte) == 0 && pmd + pte == len &&
	    (huge ? pmd : pte) == len)
		return p;
	snprintf(why, whylen, "asked for %s: %zu kB mapped by PMDs, %zu kB by PTEs",
		 huge ? "PMDs" : "PTEs", pmd >> 10, pte >> 10);
	return p;
}

static void release_mapping(const struct dax_mount *m, void *p, int fd)
{
	if (m) {
		munmap(p, len);
		close(fd);
	} else {
		free(p);
	}
}

static const char *mapping_name(const struct dax_mount *m, bool huge)
{
	return m ? (huge ? "dax-pmd" : "dax-pte") : (huge ? "anon-thp" : "anon-4k");
}

static int wanted(const struct dax_mount *m, bool huge)
{
	const char *only = getenv("DAXGUP_BENCH_GUP_ONLY");

	return !only || !strcmp(only, mapping_name(m, huge));
}

static void run_mapping(const struct dax_mount *m, bool huge)
{
	const char *mapping = mapping_name(m, huge);
	double get_ns[MAX_REPS], put_ns[MAX_REPS];
	size_t pmd = 0, pte = 0, pages = len / SZ_4K;
	char why[256] = "", name[512];
	struct gup_test gup;
	unsigned int t;
	int fd = -1, k;
	void *p;

	if (!wanted(m, huge))
		return;
	p = setup_mapping(m, huge, &fd, why, sizeof(why));
	if (p)
		mapped_bytes(p, len, &pmd, &pte);
	ksft_print_msg("%s %s/%s/%s: %zu kB mapped by PMDs, %zu kB by PTEs\n",
		       mapping, m ? m->fs : "anon", m ? m->memmap : "-",
		       m ? m->driver : "-", pmd >> 10, pte >> 10);
	for (t = 0; t < ARRAY_SIZE(tests); t++) {
		snprintf(name, sizeof(name), "%s %s/%s/%s: %s over %zu MiB",
			 mapping, m ? m->fs : "anon", m ? m->memmap : "-",
			 m ? m->driver : "-", tests[t].name, len >> 20);
		for (k = 0; p && !why[0] && k < reps; k++) {
			memset(&gup, 0, sizeof(gup));
			gup.addr = (uintptr_t)p;
			gup.size = len;
			gup.nr_pages_per_call = batch;
			gup.gup_flags = FOLL_WRITE;
			if (ioctl(gup_fd, tests[t].cmd, &gup)) {
				snprintf(why, sizeof(why), "ioctl: %s", strerror(errno));
				break;
			}
			/*
			 * gup_test stops at the first batch GUP refuses and
			 * reports the size it took: none, for a DAX mapping on
			 * a kernel without long-term pins of DAX files.
			 */
			if (!gup.size && m && tests[t].cmd == PIN_LONGTERM_BENCHMARK &&
			    !longterm_allowed)
				break;
			if (gup.size != len) {
				snprintf(why, sizeof(why), "took %llu of %zu bytes",
					 (unsigned long long)gup.size, len);
				break;
			}
			get_ns[k] = gup.get_delta_usec * 1000.0 / pages;
			put_ns[k] = gup.put_delta_usec * 1000.0 / pages;
		}
		if (p && !why[0] && k < reps) {
			ksft_test_result_skip("%s: refused: this kernel does not allow long-term pins of DAX files (no %s)\n",
					      name, LONGTERM_PINS);
			continue;
		}
		if (!why[0]) {
			print_json(m, mapping, tests[t].name, "get_ns_per_page",
				   get_ns, pmd, pte);
			print_json(m, mapping, tests[t].name, "put_ns_per_page",
				   put_ns, pmd, pte);
		}
		report_case(name, why);
	}
	if (p)
		release_mapping(m, p, fd);
}

int main(void)
{
	const char *mb = getenv("DAXGUP_BENCH_GUP_MB"), *r = getenv("DAXGUP_BENCH_REPS");
	const char *b = getenv("DAXGUP_BENCH_GUP_BATCH");
	struct dax_mount mounts[MAX_MOUNTS];
	int n = dax_mounts(mounts, MAX_MOUNTS), i, plan;

	ksft_print_header();
	len = (mb ? strtoul(mb, NULL, 0) : 256) << 20;
	reps = r ? atoi(r) : 5;
	batch = b ? atoi(b) : 512;
	if (reps < 1 || reps > MAX_REPS)
		reps = 5;
	if (batch < 1)
		batch = 512;
	if (!len || len % SZ_2M)
		ksft_exit_fail_msg("DAXGUP_BENCH_GUP_MB must be a multiple of 2\n");
	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gup_fd < 0)
		ksft_exit_skip("no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST): %s\n",
			       strerror(errno));
	uname(&uts);
	/* The series lists long-term pinned DAX files there; 6.12 has no such pins. */
	longterm_allowed = !access(LONGTERM_PINS, F_OK);
	plan = wanted(NULL, false) + wanted(NULL, true);
	for (i = 0; i < n; i++)
		plan += wanted(&mounts[i], false) + wanted(&mounts[i], true);
	ksft_set_plan(plan * ARRAY_SIZE(tests));
	run_mapping(NULL, false);
	run_mapping(NULL, true);
	for (i = 0; i < n; i++) {
		run_mapping(&mounts[i], false);
		run_mapping(&mounts[i], true);
	}
	ksft_finished();
}
