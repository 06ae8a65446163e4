// SPDX-License-Identifier: GPL-2.0
/*
 * dax_folio: the pages of a PMD-mapped extent of a DAX file form one folio
 * while the DAX entry that maps them lives, and go back to order-0 pages,
 * with nothing of the folio left in them, when it goes.
 *
 * The kernel's own view of a page comes from CONFIG_GUP_TEST's page dump
 * (DUMP_USER_PAGES_TEST: dump_page() into the kernel log, read back from
 * /dev/kmsg): its folio's order, refcount, pin count and flags.  The dump
 * takes one reference per page of the 2 MiB with get_user_pages(), so a
 * 2 MiB folio with nothing else on it shows refcount 1 + 512 (FS_DAX pages
 * are idle at 1), and an order-0 page 1 + 1.  On each DAX filesystem:
 *
 *   one_folio  a PMD-mapped 2 MiB: every page is in one folio of order 9,
 *              at consecutive pfns, which counts all 512 references
 *   mprotect   a long-term pin (io_uring fixed buffer) of the 2 MiB, then
 *              mprotect() of half of it splits the PMD mapping: the pages
 *              refault by PTEs into the same folio, which keeps the pin (a
 *              pin count) and its mark (truncate: ETXTBSY); after the unpin
 *              it counts the dump's references only
 *   munmap     the same with munmap() of half of the mapping; afterwards the
 *              whole file maps by PMD again, data intact
 *   punch_4k   a punch of 4 KiB inside the pinned 2 MiB fails (ETXTBSY);
 *              after the unpin it works, the entry goes, and the pages,
 *              mapped again by PTEs around the hole, are order-0 pages with
 *              refcount 1 + 1 whose flags carry nothing of the folio (the
 *              first tail page held the order in its flags' low bits, the
 *              page lock among them)
 *   hwpoison   a memory failure (MADV_HWPOISON) of page 5 of a PMD-mapped
 *              2 MiB: the process gets SIGBUS (BUS_MCEERR_AR) for page 5's
 *              address, the folio's head page is not marked, and the other
 *              pages read back intact
 *
 * The memory failure leaves page 5 marked HWPoison until its namespace
 * goes: the suite runs this test before memmap_cost, which disables and
 * enables every namespace.  Kernels without long-term pins of DAX files
 * refuse the io_uring registration (EOPNOTSUPP); on kernels whose fsdax
 * pages are all order-0, one_folio fails ("not one folio of order 9").
 */
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/io_uring.h>
#include <linux/types.h>

#include "daxgup.h"
#include "mm/gup_test.h"

#define LEN		SZ_2M
#define NR_PAGES	(LEN / SZ_4K)
#define PMD_ORDER	9
#define BAD_PAGE	5
#define WHY_LEN		320

struct page_dump {
	unsigned long pfn;
	long refcount;
	long pincount;
	int order;
	char flags[200];
};

static int gup_fd = -1;

/* The text of a /dev/kmsg record: after the first ';', up to the '\n'. */
static char *kmsg_text(char *rec, ssize_t n)
{
	char *p;

	rec[n] = 0;
	rec[strcspn(rec, "\n")] = 0;
	p = strchr(rec, ';');
	return p ? p + 1 : rec;
}

/*
 * Dump pages @idx[0..@n) of the 2 MiB at @map with the kernel's
 * dump_page(), and read what it said.  0, or -1 with the reason in @why.
 */
static int dump_pages(void *map, const unsigned int *idx, int n,
		      struct page_dump *out, char *why)
{
	struct gup_test gup = {
		.addr = (uintptr_t)map,
		.size = LEN,
		.nr_pages_per_call = NR_PAGES,
	};
	char rec[1024], *t, *f;
	int kfd, i, cur = -1;
	ssize_t len;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++)
		gup.which_pages[i] = idx[i] + 1;
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd < 0 || lseek(kfd, 0, SEEK_END) < 0) {
		snprintf(why, WHY_LEN, "/dev/kmsg: %s", strerror(errno));
		if (kfd >= 0)
			close(kfd);
		return -1;
	}
	if (ioctl(gup_fd, DUMP_USER_PAGES_TEST, &gup)) {
		snprintf(why, WHY_LEN, "DUMP_USER_PAGES_TEST: %s", strerror(errno));
		close(kfd);
		return -1;
	}
	for (;;) {
		len = read(kfd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* records overwritten in the ring: read on */
		if (len <= 0)
			break;
		t = kmsg_text(rec, len);
		if (!strncmp(t, "---- page #", 11)) {
			cur++;
		} else if (cur < 0 || cur >= n) {
			continue;
		} else if (!strncmp(t, "page: refcount:", 15)) {
			f = strstr(t, " pfn:");
			out[cur].refcount = atol(t + 15);
			if (f)
				out[cur].pfn = strtoul(f + 5, NULL, 16);
		} else if (!strncmp(t, "head: order:", 12)) {
			f = strstr(t, " pincount:");
			out[cur].order = atoi(t + 12);
			if (f)
				out[cur].pincount = atol(f + 10);
		} else if ((f = strstr(t, "flags: 0x")) && !out[cur].flags[0]) {
			snprintf(out[cur].flags, sizeof(out[cur].flags), "%s", f + 7);
		}
	}
	close(kfd);
	for (i = 0; i < n; i++) {
		if (!out[i].refcount || !out[i].flags[0]) {
			snprintf(why, WHY_LEN, "no dump of page #%u in the kernel log", idx[i]);
			return -1;
		}
	}
	return 0;
}

static void say_dump(const char *when, unsigned int idx, const struct page_dump *d)
{
	ksft_print_msg("  %s: page #%u pfn %#lx order %d refcount %ld pincount %ld flags %s\n",
		       when, idx, d->pfn, d->order, d->refcount, d->pincount, d->flags);
}

static uint32_t file_seed(int fd)
{
	return 0xf01 ^ (uint32_t)fd;
}

/* The file of a case: 2 MiB, allocated, filled through a PMD mapping. */
static int make_file(const struct dax_mount *m, const char *tag, char *path,
		     size_t plen, uint8_t **map, char *why)
{
	int fd;

	snprintf(path, plen, "%s/folio-%s-%d", m->dir, tag, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, LEN)) {
		snprintf(why, WHY_LEN, "file setup: %s", strerror(errno));
		return fd;
	}
	*map = dax_map(fd, LEN, DAX_PMD);
	if (!*map) {
		snprintf(why, WHY_LEN, "mmap: %s", strerror(errno));
		return fd;
	}
	fill_pattern(*map, LEN, file_seed(fd));
	dax_level_ok(*map, LEN, DAX_PMD, why, WHY_LEN);
	return fd;
}

static void drop_file(int fd, const char *path, uint8_t *map, size_t len)
{
	if (map)
		munmap(map, len);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

/* The first page of the 2 MiB at @buf but @skip that is not @seed's pattern, or -1. */
static int page_differs(const uint8_t *buf, uint32_t seed, int skip)
{
	static uint8_t ref[LEN];
	int i;

	fill_pattern(ref, LEN, seed);
	for (i = 0; i < (int)NR_PAGES; i++)
		if (i != skip && memcmp(ref + i * SZ_4K, buf + i * SZ_4K, SZ_4K))
			return i;
	return -1;
}

/*
 * The dumped pages are in one folio of order 9 at consecutive pfns, which
 * counts the dump's references and, if @pinned, pins: a pin of a large
 * folio adds one reference and one to its pin count.  (io_uring keeps one
 * pin per folio of a registered buffer, whatever its size.)
 */
static bool one_folio(const char *when, const unsigned int *idx, int n,
		      const struct page_dump *d, bool pinned, char *why)
{
	long want;
	int i;

	for (i = 0; i < n; i++) {
		say_dump(when, idx[i], &d[i]);
		if (d[i].order != PMD_ORDER) {
			snprintf(why, WHY_LEN, "%s: page #%u is in a folio of order %d, not one folio of order %d",
				 when, idx[i], d[i].order, PMD_ORDER);
			return false;
		}
		want = 1 + NR_PAGES + d[i].pincount;
		if (d[i].refcount != want || (pinned ? d[i].pincount <= 0 : d[i].pincount)) {
			snprintf(why, WHY_LEN, "%s: page #%u: refcount %ld, pincount %ld; want %s, and refcount 513 + pincount",
				 when, idx[i], d[i].refcount, d[i].pincount,
				 pinned ? "a pin" : "no pin");
			return false;
		}
		if (d[i].pfn != d[0].pfn + idx[i] - idx[0]) {
			snprintf(why, WHY_LEN, "%s: page #%u at pfn %#lx, page #%u at %#lx",
				 when, idx[0], d[0].pfn, idx[i], d[i].pfn);
			return false;
		}
	}
	return true;
}

static void case_one_folio(const struct dax_mount *m, const char *name)
{
	static const unsigned int idx[] = { 0, 1, 5, 256, NR_PAGES - 1 };
	char path[320], why[WHY_LEN] = "";
	struct page_dump d[5];
	uint8_t *map = NULL;
	int fd = make_file(m, "one", path, sizeof(path), &map, why);

	if (!why[0] && !dump_pages(map, idx, 5, d, why))
		one_folio("PMD-mapped", idx, 5, d, false, why);
	drop_file(fd, path, map, LEN);
	report_case(name, why);
}

/* A long-term write pin of @map: an io_uring ring with it as fixed buffer. */
static int pin_ring(uint8_t *map, size_t len, char *why)
{
	struct iovec iov = { .iov_base = map, .iov_len = len };
	struct io_uring_params p = { 0 };
	int ring = syscall(__NR_io_uring_setup, 1, &p);

	if (ring < 0) {
		snprintf(why, WHY_LEN, "io_uring_setup: %s", strerror(errno));
		return -1;
	}
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1)) {
		snprintf(why, WHY_LEN, "long-term pin refused: %s", errno_name(errno));
		close(ring);
		return -1;
	}
	return ring;
}

/* Close *@ring (then -1) and wait until its pin of @path (open as @fd) is gone. */
static bool unpin_ring(int *ring, const char *path, int fd, char *why)
{
	struct stat st;

	close(*ring);
	*ring = -1;
	if (fstat(fd, &st) || !longterm_gone(path, st.st_ino)) {
		snprintf(why, WHY_LEN, "the pin stayed after the ring was closed");
		return false;
	}
	return true;
}

/* Fault every page of @map back in; all of it must be mapped by PTEs. */
static bool refault_pte(uint8_t *map, size_t len, char *why)
{
	volatile uint8_t sum = 0;
	size_t pmd, pte, off;
	int ret;

	for (off = 0; off < len; off += SZ_4K)
		sum += map[off];
	(void)sum;
	ret = mapped_bytes(map, len, &pmd, &pte);
	if (ret) {
		snprintf(why, WHY_LEN, "PAGEMAP_SCAN: %s", strerror(-ret));
		return false;
	}
	if (pte != len) {
		snprintf(why, WHY_LEN, "%zu kB mapped by PTEs and %zu kB by PMDs: want all %zu kB by PTEs",
			 pte >> 10, pmd >> 10, len >> 10);
		return false;
	}
	return true;
}

/*
 * A pinned 2 MiB whose PMD mapping is split by mprotect() (@unmap false)
 * or by munmap() (@unmap true) of its second half.
 */
static void case_split(const struct dax_mount *m, const char *name, bool unmap)
{
	static const unsigned int idx[] = { 0, 1, 100, 300 };
	const size_t half = LEN / 2;
	char path[320], why[WHY_LEN] = "";
	size_t maplen = LEN;
	struct page_dump d[4];
	uint8_t *map = NULL;
	int fd, ring = -1, bad;

	fd = make_file(m, unmap ? "munmap" : "mprotect", path, sizeof(path), &map, why);
	if (why[0])
		goto out;
	ring = pin_ring(map, LEN, why);
	if (ring < 0)
		goto out;
	if (unmap ? munmap(map + half, half) : mprotect(map + half, half, PROT_READ)) {
		snprintf(why, WHY_LEN, "%s: %s", unmap ? "munmap" : "mprotect", strerror(errno));
		goto out;
	}
	if (unmap) {
		maplen = half;
		if (!refault_pte(map, half, why))
			goto out;
		/* the dump's get_user_pages() covers 2 MiB: map the rest again */
		if (mmap(map + half, half, PROT_READ, MAP_SHARED | MAP_FIXED, fd, half) ==
		    MAP_FAILED) {
			snprintf(why, WHY_LEN, "mmap of the second half again: %s",
				 strerror(errno));
			goto out;
		}
		maplen = LEN;
	}
	if (!refault_pte(map, LEN, why))
		goto out;
	bad = page_differs(map, file_seed(fd), -1);
	if (bad >= 0) {
		snprintf(why, WHY_LEN, "after the split, page #%d differs", bad);
		goto out;
	}
	if (dump_pages(map, idx, 4, d, why) ||
	    !one_folio("split, pinned", idx, 4, d, true, why))
		goto out;
	if (!ftruncate(fd, 0) || errno != ETXTBSY) {
		snprintf(why, WHY_LEN, "truncate of the pinned file after the split: %s, want ETXTBSY",
			 errno_name(errno));
		goto out;
	}
	if (!unpin_ring(&ring, path, fd, why))
		goto out;
	if (dump_pages(map, idx, 4, d, why) ||
	    !one_folio("split, unpinned", idx, 4, d, false, why))
		goto out;
	munmap(map, maplen);
	map = dax_map(fd, LEN, DAX_PMD);
	if (!map) {
		snprintf(why, WHY_LEN, "mmap again: %s", strerror(errno));
		goto out;
	}
	maplen = LEN;
	bad = page_differs(map, file_seed(fd), -1);
	if (bad >= 0)
		snprintf(why, WHY_LEN, "mapped again, page #%d differs", bad);
	else
		dax_level_ok(map, LEN, DAX_PMD, why, WHY_LEN);
out:
	if (ring >= 0)
		close(ring);
	drop_file(fd, path, map, maplen);
	report_case(name, why);
}

static void case_punch(const struct dax_mount *m, const char *name)
{
	static const unsigned int idx[] = { 0, 1, 3, NR_PAGES - 1 };
	const int hole = 2;
	char path[320], why[WHY_LEN] = "";
	static const uint8_t zero[SZ_4K];
	struct page_dump d[4];
	uint8_t *map = NULL;
	int fd, ring = -1, i, bad;

	fd = make_file(m, "punch", path, sizeof(path), &map, why);
	if (why[0])
		goto out;
	ring = pin_ring(map, LEN, why);
	if (ring < 0)
		goto out;
	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, hole * SZ_4K, SZ_4K) ||
	    errno != ETXTBSY) {
		snprintf(why, WHY_LEN, "punch of 4 KiB in the pinned 2 MiB: %s, want ETXTBSY",
			 errno_name(errno));
		goto out;
	}
	if (!unpin_ring(&ring, path, fd, why))
		goto out;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, hole * SZ_4K, SZ_4K)) {
		snprintf(why, WHY_LEN, "punch after the unpin: %s", strerror(errno));
		goto out;
	}
	/* the hole maps the zero page, the rest the file's blocks, all by PTEs */
	if (!refault_pte(map, LEN, why))
		goto out;
	bad = page_differs(map, file_seed(fd), hole);
	if (bad >= 0)
		snprintf(why, WHY_LEN, "page #%d differs after the punch", bad);
	else if (memcmp(map + hole * SZ_4K, zero, SZ_4K))
		snprintf(why, WHY_LEN, "the punched page is not zero");
	if (why[0] || dump_pages(map, idx, 4, d, why))
		goto out;
	for (i = 0; i < 4; i++) {
		say_dump("after the punch", idx[i], &d[i]);
		if (d[i].order || d[i].refcount != 2 || d[i].pincount) {
			snprintf(why, WHY_LEN, "page #%u: order %d, refcount %ld, pincount %ld; want an idle order-0 page (0, 2, 0)",
				 idx[i], d[i].order, d[i].refcount, d[i].pincount);
			break;
		}
		/* not hwpoison: a block poisoned by an earlier test may be reused */
		if (strstr(d[i].flags, "locked") || strstr(d[i].flags, "head") ||
		    strstr(d[i].flags, "uptodate")) {
			snprintf(why, WHY_LEN, "page #%u kept flags of the folio: %s",
				 idx[i], d[i].flags);
			break;
		}
	}
out:
	if (ring >= 0)
		close(ring);
	drop_file(fd, path, map, LEN);
	report_case(name, why);
}

/* The child of case_hwpoison: its SIGBUS handler says where, on the pipe. */
static int bus_fd = -1;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "%d %lx", si->si_code,
			 (unsigned long)si->si_addr);

	if (write(bus_fd, msg, n + 1) < 0)
		_exit(3);
	_exit(0);
}

/* Says "m <address>" when mapped, then the SIGBUS, or "x <why>". */
static __noreturn void poisoner(int fd, int out)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	struct rlimit no_core = { 0, 0 };
	char msg[96];
	uint8_t *map;

	setrlimit(RLIMIT_CORE, &no_core);
	bus_fd = out;
	sigaction(SIGBUS, &sa, NULL);
	map = dax_map(fd, LEN, DAX_PMD);
	if (!map) {
		snprintf(msg, sizeof(msg), "x mmap: %s", strerror(errno));
	} else {
		snprintf(msg, sizeof(msg), "m %lx", (unsigned long)map);
		if (write(out, msg, strlen(msg) + 1) < 0)
			_exit(1);
		(void)*(volatile uint8_t *)map;
		if (madvise(map + BAD_PAGE * SZ_4K, SZ_4K, MADV_HWPOISON))
			snprintf(msg, sizeof(msg), "x MADV_HWPOISON: %s", strerror(errno));
		else
			snprintf(msg, sizeof(msg), "x no SIGBUS after MADV_HWPOISON");
	}
	if (write(out, msg, strlen(msg) + 1) < 0)
		_exit(1);
	_exit(2);
}

static void case_hwpoison(const struct dax_mount *m, const char *name)
{
	static const unsigned int idx[] = { 0, BAD_PAGE + 1 };
	char path[320], why[WHY_LEN] = "", msg[256] = "";
	struct pollfd pfd = { .events = POLLIN };
	unsigned long child_map = 0, addr = 0;
	int fd, p[2] = { -1, -1 }, code = 0, bad;
	uint8_t *map = NULL, *buf = NULL;
	struct page_dump d[2];
	const char *second;
	ssize_t n, got = 0;
	pid_t pid;

	fd = make_file(m, "hwpoison", path, sizeof(path), &map, why);
	if (why[0] || dump_pages(map, idx, 1, d, why))
		goto out;
	say_dump("before", 0, &d[0]);
	/* a block poisoned by an earlier test, reused: nothing to tell */
	if (strstr(d[0].flags, "hwpoison")) {
		drop_file(fd, path, map, LEN);
		ksft_test_result_skip("%s: the folio is HWPoison already (a block poisoned earlier)\n",
				      name);
		return;
	}
	munmap(map, LEN);
	map = NULL;
	if (pipe(p)) {
		snprintf(why, WHY_LEN, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, WHY_LEN, "fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		close(p[0]);
		poisoner(fd, p[1]);
	}
	close(p[1]);
	p[1] = -1;
	pfd.fd = p[0];
	while (got < (ssize_t)sizeof(msg) - 1 && poll(&pfd, 1, 30000) == 1) {
		n = read(p[0], msg + got, sizeof(msg) - 1 - got);
		if (n <= 0)
			break;
		got += n;
	}
	msg[got] = 0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (sscanf(msg, "m %lx", &child_map) != 1) {
		snprintf(why, WHY_LEN, "child: %s", got ? msg : "said nothing");
		goto out;
	}
	second = msg + strlen(msg) + 1;
	if (second >= msg + got || second[0] == 'x' ||
	    sscanf(second, "%d %lx", &code, &addr) != 2) {
		snprintf(why, WHY_LEN, "child: %s", second < msg + got ? second : "said nothing more");
		goto out;
	}
	ksft_print_msg("  SIGBUS si_code %d at %#lx: page #%ld of the mapping\n", code, addr,
		       ((long)addr - (long)child_map) / (long)SZ_4K);
	if (code != 4 /* BUS_MCEERR_AR */ || addr != child_map + BAD_PAGE * SZ_4K) {
		snprintf(why, WHY_LEN, "SIGBUS si_code %d at page #%ld; want BUS_MCEERR_AR (4) at page #%d",
			 code, ((long)addr - (long)child_map) / (long)SZ_4K, BAD_PAGE);
		goto out;
	}
	buf = malloc(LEN);
	if (!buf || pread(fd, buf, LEN, 0) != (ssize_t)LEN) {
		snprintf(why, WHY_LEN, "read back: %s", strerror(errno));
		goto out;
	}
	bad = page_differs(buf, file_seed(fd), BAD_PAGE);
	if (bad >= 0) {
		snprintf(why, WHY_LEN, "page #%d differs after the failure of page #%d",
			 bad, BAD_PAGE);
		goto out;
	}
	map = dax_map(fd, LEN, DAX_PMD);
	if (!map) {
		snprintf(why, WHY_LEN, "mmap again: %s", strerror(errno));
		goto out;
	}
	(void)*(volatile uint8_t *)map;
	if (dump_pages(map, idx, 2, d, why))
		goto out;
	say_dump("after", idx[0], &d[0]);
	say_dump("after", idx[1], &d[1]);
	/* a tail page's dump shows its folio's flags, which are the head's */
	if (strstr(d[0].flags, "hwpoison"))
		snprintf(why, WHY_LEN, "page #0, which did not fail, is marked HWPoison: %s",
			 d[0].flags);
out:
	free(buf);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	drop_file(fd, path, map, LEN);
	report_case(name, why);
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	int n = dax_mounts(mounts, MAX_MOUNTS), i;
	char label[96], name[320];

	ksft_print_header();
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gup_fd < 0)
		ksft_exit_skip("no /sys/kernel/debug/gup_test: kernel without CONFIG_GUP_TEST (%s)\n",
			       strerror(errno));
	ksft_set_plan(n * 5);
	for (i = 0; i < n; i++) {
		mount_label(&mounts[i], label, sizeof(label));
		snprintf(name, sizeof(name), "%s: one_folio: a PMD-mapped 2 MiB of a DAX file is one folio of order 9",
			 label);
		case_one_folio(&mounts[i], name);
		snprintf(name, sizeof(name), "%s: mprotect: a pinned PMD folio split to PTEs by mprotect() keeps its pin, and counts no more after the unpin",
			 label);
		case_split(&mounts[i], name, false);
		snprintf(name, sizeof(name), "%s: munmap: a pinned PMD folio split by a partial munmap() keeps its pin, and maps by PMD again",
			 label);
		case_split(&mounts[i], name, true);
		snprintf(name, sizeof(name), "%s: punch_4k: a punch inside a PMD folio leaves idle order-0 pages with no folio state",
			 label);
		case_punch(&mounts[i], name);
		snprintf(name, sizeof(name), "%s: hwpoison: a memory failure of one page of a PMD folio hits that page only",
			 label);
		case_hwpoison(&mounts[i], name);
	}
	close(gup_fd);
	ksft_finished();
}
