// SPDX-License-Identifier: GPL-2.0
/*
 * dax_unbind: take the pmem device of a mounted DAX filesystem away while
 * its pages are in use, and check that nothing outlives the device.
 *
 * For each DAX filesystem of the lab (or the one named by DAXGUP_UNBIND_FS
 * and DAXGUP_UNBIND_MAP), and for each iteration, with
 *   A: a MAP_SHARED mapping of a file, the buffer of an O_DIRECT read from a
 *      slow device (dm-delay, DAXGUP_SLOW) that is in flight,
 *   B: a mapping of a second file, touched by two child processes (each
 *      maps the pages into its own page tables before the removal),
 *   C: a mapping of a third file, touched, held by a third child,
 * the device goes away: its pfn device is unbound from the pmem driver
 * (what ndctl disable-namespace does), or its region is unbound from
 * nd_region (what ndctl disable-region does); iterations alternate.
 *
 * A driver either waits for pinned pages on removal (nd_pmem on kernels
 * without the series) or parks them (daxgup_pmem, and nd_pmem with the
 * series: the removal returns, new pins fail, the memory stays mapped for
 * the pages in use and is released once they are let go; until then the
 * namespace cannot be served again).  Checks:
 *   inflight   a driver that waits: the removal returns only after the
 *              read's completion event is posted, and the read completed
 *              in full; a driver that parks: the removal returns before
 *              that event, and the read completes in full;
 *   revoked    touching B afterwards raises SIGBUS: it does not reach the
 *              departed device's memory;
 *   new-pin    an O_DIRECT read into B afterwards fails (GUP returns an
 *              error): it neither succeeds nor hangs;
 *   exit       C's owner can munmap and exit afterwards;
 *   parked     a driver that parks only: right after the removal returned,
 *              the read still in flight, binding the pfn device again (on
 *              the iterations that unbind it) fails with EBUSY and leaves
 *              it unbound, and daxgup_pmem's "parked" file lists the
 *              namespace; once the read completed and the filesystem is
 *              unmounted, the namespace is served and mounts again
 *              (daxgup_pmem: once its line went away; nd_pmem, which has
 *              no such list: a bind refused with EBUSY is tried again);
 *   ndctl      before the first removal: ndctl disable-namespace and
 *              disable-region refuse a mounted namespace.
 * Then the device comes back (its pfn device bound, or its region and
 * then whichever device of the namespace got no driver), the filesystem
 * is mounted again, and the next iteration runs.  How long the memory was
 * parked is read from the kernel log and only reported.  The lab's dmesg
 * check fails the test on any WARNING, BUG, KASAN or lockdep report.
 *
 * DAXGUP_UNBIND_DM=linear stacks device-mapper in between: the lab's
 * filesystem on the pmem device is unmounted, a dm-linear device is made
 * over all of the pmem device, the same filesystem is made on it and
 * mounted -o dax=always where the lab's was (DAX checked), and the same
 * removals of the pmem's pfn device or region are done under it (the dm
 * device is removed and made again between them).  At the end the lab's
 * filesystem is made again on the pmem device as the lab's setup does,
 * and mounted.  Cases are tagged "/dm-linear".  DAXGUP_UNBIND_DM=striped
 * does the same with a dm-stripe device (4 KiB chunks) over the pmem
 * device and that of another lab filesystem of the same driver, which is
 * unmounted meanwhile and made again at the end; only the first leg is
 * removed ("/dm-striped").  "linear,striped" runs both in turn; with
 * DAXGUP_SHARE=K/N (make check's pass K of N drivers, without FULL=1) the
 * passes share the list out: the i-th target runs when i % N == K.
 *
 * On 6.12 with nd_pmem the in-flight read oopses the kernel when it lands
 * (memunmap_pages() does not wait for pinned FS_DAX pages): the lab runs
 * this test in a boot of its own and reports that crash as the known bug.
 * Without the series no filesystem revokes the mappings (xfs does, only
 * with rmapbt, and not through device-mapper, which 6.12 does not tell),
 * so a failure of "revoked" is a known bug on stock and base: reported as
 * XFAIL there, never as a pass (daxgup_pmem zaps the user mappings of the
 * pages it parks itself, so it passes there).  A new pin was seen to fail
 * there as well (with daxgup_pmem; nd_pmem crashes before), so it is held
 * to that everywhere.
 *
 * A parked pagemap is released once no page of it is pinned and none is
 * tied to a file any more (page->mapping).  On stock and base the ties
 * last until the filesystem is unmounted; on patched the removal drops
 * them, so the release may follow the read's last unpin at once.  Hence
 * "parked" is judged on what it saw while the read was still in flight
 * (checked again afterwards: the block layer posts the completion event
 * before it unpins the last pages); what it saw once the read completed is
 * only reported.  A target where no removal gave that window gets SKIP
 * for it, saying so (where the removal waited for the read, "inflight"
 * fails as well).
 */
#include <dirent.h>
#include <libaio.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

#include "daxgup.h"

#define LEN	SZ_2M

/* PARKED: only for targets whose driver parks (see parks()). */
enum check { INFLIGHT, REVOKED, NEWPIN, EXITED, PARKED, NR_CHECKS };

static const char * const check_name[NR_CHECKS] = {
	"removal waits for in-flight O_DIRECT DMA into DAX pages",
	"a live mapping gets SIGBUS after the removal",
	"a new O_DIRECT pin of the mapping fails after the removal",
	"munmap and exit after the removal are safe",
	"the namespace is refused while its pinned memory is parked, and served again once released",
};

/* INFLIGHT of a driver that parks pinned memory instead of waiting for it. */
static const char parks_inflight_name[] =
	"removal returns while O_DIRECT DMA into its DAX pages is in flight, and the read lands in full";

/* Known bugs of kernels without the series, per check. */
static const char * const check_bug[NR_CHECKS] = {
	NULL,
	"6.12 revokes DAX mappings on removal only for xfs with rmapbt",
	NULL,
	NULL,
	NULL,
};

/* REVOKED's known bug under device-mapper, whatever the filesystem. */
static const char dm_revoke_bug[] =
	"6.12's device-mapper does not pass the removal of the pmem up to the DAX filesystem on top";

/*
 * The dm target stacked on the pmem device, or NULL: each of the targets
 * listed in DAXGUP_UNBIND_DM in turn ("linear", "striped").  A striped
 * device has a second leg, the pmem device of another lab filesystem of the
 * same driver (leg2), which is taken down meanwhile.
 */
static const char *dm_mode;
static struct target *leg2;

/* Whether this pass runs the i-th entry of DAXGUP_UNBIND_DM (DAXGUP_SHARE). */
static bool dm_mode_taken(int i)
{
	int k, n;

	if (!getenv("DAXGUP_SHARE") ||
	    sscanf(getenv("DAXGUP_SHARE"), "%d/%d", &k, &n) != 2 || n < 1)
		return true;
	return i % n == k;
}

/* The next entry of DAXGUP_UNBIND_DM that this pass runs, or NULL. */
static char *next_dm_mode(char *modes, char **save, int *i)
{
	char *mode;

	for (mode = strtok_r(modes, " ,", save); mode; mode = strtok_r(NULL, " ,", save))
		if (dm_mode_taken((*i)++))
			break;
	return mode;
}

static bool striped(void)
{
	return dm_mode && !strcmp(dm_mode, "striped");
}

struct outcome {
	char why[NR_CHECKS][256];
	int parked_seen;	/* removals that showed PARKED's refusal while parked */
};

static void fail(struct outcome *o, enum check c, int iter, const char *fmt, const char *arg)
{
	char msg[200];

	if (o->why[c][0])
		return;
	snprintf(msg, sizeof(msg), fmt, arg);
	snprintf(o->why[c], sizeof(o->why[c]), "iteration %d: %s", iter, msg);
}

/* The device behind a DAX mount, and how to take it away. */
struct target {
	struct dax_mount *m;
	char pfn[64];		/* pfnX.Y: the personality device */
	char region[64];	/* regionX */
	char ns[64];		/* namespaceX.Y */
	char drv[64];		/* the pmem driver bound to pfn */
	char bus[64];		/* ndbusX: the region's bus */
	unsigned long long ns_start, ns_size;	/* the namespace's physical range */
	bool rmapbt;
};

static int read_link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX], *base;
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(out, base);
	return 0;
}

/* The first line of a sysfs attribute, without its newline. */
static int read_attr(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(out, len, f))
		ret = -EIO;
	else
		out[strcspn(out, "\n")] = 0;
	fclose(f);
	return ret;
}

/*
 * Fill @t for @m.  Called again after each removal: a region that comes
 * back gives its fsdax namespace a new pfn device.
 */
static int find_target(struct dax_mount *m, struct target *t)
{
	char path[PATH_MAX], real[PATH_MAX], *slash, cmd[512], line[256];
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->m = m;
	snprintf(path, sizeof(path), "/sys/block/%s/device", m->dev);
	if (read_link_base(path, t->pfn, sizeof(t->pfn)))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", t->pfn);
	if (read_link_base(path, t->drv, sizeof(t->drv)))
		return -1;
	/* pfnX.Y/namespace names the namespace; its parent is the region. */
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/namespace", t->pfn);
	f = fopen(path, "r");
	if (!f || !fgets(t->ns, sizeof(t->ns), f))
		return -1;
	fclose(f);
	t->ns[strcspn(t->ns, "\n")] = 0;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s", t->pfn);
	if (!realpath(path, real) || !(slash = strrchr(real, '/')))
		return -1;
	*slash = 0;
	snprintf(t->region, sizeof(t->region), "%s", strrchr(real, '/') + 1);
	*strrchr(real, '/') = 0;
	snprintf(t->bus, sizeof(t->bus), "%s", strrchr(real, '/') + 1);
	if (strncmp(t->ns, "namespace", 9) || strncmp(t->region, "region", 6) ||
	    strncmp(t->bus, "ndbus", 5))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/resource", t->ns);
	if (read_attr(path, line, sizeof(line)) || sscanf(line, "%llx", &t->ns_start) != 1)
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/size", t->ns);
	if (read_attr(path, line, sizeof(line)) || sscanf(line, "%llu", &t->ns_size) != 1)
		return -1;
	if (!strcmp(m->fs, "xfs")) {
		snprintf(cmd, sizeof(cmd), "xfs_info %s 2>/dev/null", m->dir);
		f = popen(cmd, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "rmapbt=1"))
				t->rmapbt = true;
		if (f)
			pclose(f);
	}
	return 0;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void removal_path(struct target *t, bool region, bool bind, char *out, size_t len)
{
	snprintf(out, len, "/sys/bus/nd/drivers/%s/%s", region ? "nd_region" : t->drv,
		 bind ? "bind" : "unbind");
}

static bool bound(const char *dev)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", dev);
	return !stat(path, &st);
}

static bool is_daxgup(const struct target *t)
{
	return !strcmp(t->drv, "daxgup_pmem");
}

static bool old_kernel(void)
{
	const char *k = getenv("DAXGUP_KERNEL");

	return k && strcmp(k, "patched");
}

/*
 * Whether @t's driver parks pinned memory on removal instead of waiting
 * for it: daxgup_pmem always, nd_pmem with the series (patches "mm/memremap:
 * park an FS_DAX pagemap ..." and "nvdimm/pmem: park pinned memory ...").
 */
static bool parks(const struct target *t)
{
	return is_daxgup(t) || !old_kernel();
}

static const char *check_title(enum check c, const struct target *t)
{
	return c == INFLIGHT && parks(t) ? parks_inflight_name : check_name[c];
}

/*
 * Wait until the bus has registered and probed what a bind started: a
 * region's namespaces and a namespace's pfn device are added
 * asynchronously.  Reading the bus's wait_probe is what ndctl waits on.
 */
static void settle(const struct target *t)
{
	char path[PATH_MAX], buf[16];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/%s", t->bus, "wait_probe");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	if (read(fd, buf, sizeof(buf)) < 0)
		ksft_print_msg("reading %s: %s\n", path, strerror(errno));
	close(fd);
}

/* The pfn device that claims @t's namespace, in @out; "" if there is none. */
static void find_pfn(const struct target *t, char *out, size_t len)
{
	DIR *d = opendir("/sys/bus/nd/devices");
	char path[PATH_MAX], ns[64];
	struct dirent *e;

	out[0] = 0;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "pfn", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/namespace", e->d_name);
		if (read_attr(path, ns, sizeof(ns)) || strcmp(ns, t->ns))
			continue;
		snprintf(out, len, "%s", e->d_name);
		break;
	}
	if (d)
		closedir(d);
}

/*
 * daxgup_pmem's list of parked pagemaps, one a line:
 * "<namespace> <phys start>-<phys end> <busy pages>".  1 if @t's
 * namespace is listed, its line in @line and its busy pages in @busy; 0
 * if not; -EINVAL if its line is not in that format (the line in @line);
 * another -errno if the file cannot be read.
 */
static int parked_line(const struct target *t, char *line, size_t len,
		       unsigned long long *busy)
{
	unsigned long long start, end;
	char path[PATH_MAX], buf[256], name[64];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s/parked", t->drv);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		if (sscanf(buf, "%63s", name) != 1 || strcmp(name, t->ns))
			continue;
		snprintf(line, len, "%s", buf);
		ret = 1;
		if (sscanf(buf, "%*s %llx-%llx %llu", &start, &end, busy) != 3 || start >= end)
			ret = -EINVAL;
		break;
	}
	if (ferror(f))
		ret = -EIO;
	fclose(f);
	return ret;
}

/*
 * Right after a removal by a driver that parks returned with the read in
 * flight: (@region false) the pfn device must be refused, and with
 * daxgup_pmem the namespace must be listed as parked.  A line that is
 * there but malformed, or a file that cannot be read, fails whenever
 * seen.  The rest is judged only if the read is still in flight once all
 * was looked at (see the header comment).  True if the read completed
 * meanwhile (@ev filled).
 */
static bool check_parked(struct target *t, int iter, bool region, io_context_t ctx,
			 struct io_event *ev, struct outcome *o)
{
	char path[PATH_MAX], line[256] = "", why[256] = "", bind[200] = "";
	struct timespec zero = { 0, 0 };
	unsigned long long busy = 1;
	bool done, listed = is_daxgup(t);
	int rc = 1, b;

	if (listed)
		rc = parked_line(t, line, sizeof(line), &busy);
	if (!region) {
		removal_path(t, false, true, path, sizeof(path));
		b = sysfs_write(path, t->pfn);
		if (!b)
			snprintf(bind, sizeof(bind), "binding %s again succeeded", t->pfn);
		else if (b != -EBUSY)
			snprintf(bind, sizeof(bind), "binding %s again failed with %s, not EBUSY",
				 t->pfn, strerror(-b));
		else if (bound(t->pfn))
			snprintf(bind, sizeof(bind), "binding %s again failed with EBUSY, yet it is bound",
				 t->pfn);
	}
	done = io_getevents(ctx, 0, 1, ev, &zero) == 1;

	if (rc == -EINVAL) {
		snprintf(why, sizeof(why), "parked lists %s as \"%s\": not <namespace> <start>-<end> <busy pages>",
			 t->ns, line);
		fail(o, PARKED, iter, "%s", why);
		return done;
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "cannot read /sys/bus/nd/drivers/%s/parked: %s",
			 t->drv, strerror(-rc));
		fail(o, PARKED, iter, "%s", why);
		return done;
	}
	if (listed && rc)
		ksft_print_msg("iteration %d: parked: %s\n", iter, line);
	/* The read's pages are in use: the count cannot be 0 while it is in flight. */
	snprintf(why, sizeof(why), "%s%s%s",
		 !rc ? "the removal returned, yet parked does not list it" :
		 !busy ? "parked lists it with no page in use" : "",
		 (!rc || !busy) && bind[0] ? "; " : "", bind);
	if (!why[0])
		o->parked_seen++;
	else if (!done)
		fail(o, PARKED, iter, "%s", why);
	else
		ksft_print_msg("iteration %d: %s, but the read had completed by then: not held against the driver (the release may follow the last unpin)\n",
			       iter, why);
	return done;
}

/*
 * The kernel log lines of a parking of @t's namespace since @kfd was
 * opened (nd_pmem: "memremap: parked <start>-<end>: ..." and "memremap:
 * released <start>-<end>, parked for N ms"; daxgup_pmem logs the same with
 * its device's name), reported: how long the memory stayed parked is
 * information, not a check.
 */
static void report_parking(int kfd, const struct target *t, int iter)
{
	unsigned long long start, end, lo = t->ns_start, hi = t->ns_start + t->ns_size;
	unsigned long pinned = 0, tied = 0;
	char rec[8192], *text, *p;
	bool parked = false, released = false;
	unsigned int ms = 0;
	ssize_t n;

	if (kfd < 0)
		return;
	for (;;) {
		n = read(kfd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overrun: go on with the oldest record left */
		if (n <= 0)
			break;
		rec[n] = 0;
		text = strchr(rec, ';');
		if (!text)
			continue;
		text[strcspn(text, "\n")] = 0;
		p = strstr(text, "parked 0x");
		if (p && sscanf(p, "parked %llx-%llx: %lu pages pinned, %lu more tied",
				&start, &end, &pinned, &tied) == 4 && start < hi && end >= lo)
			parked = true;
		p = strstr(text, "released 0x");
		if (p && sscanf(p, "released %llx-%llx, parked for %u ms",
				&start, &end, &ms) == 3 && start < hi && end >= lo)
			released = true;
	}
	if (parked && released)
		ksft_print_msg("iteration %d: kernel log: %s parked with %lu pages pinned and %lu more tied to files, released after %u ms\n",
			       iter, t->ns, pinned, tied, ms);
	else
		ksft_print_msg("iteration %d: kernel log: %s %s\n", iter, t->ns,
			       parked ? "parked, no release logged" :
			       released ? "released, no parking logged" :
			       "neither parked nor released");
}

/* The known bug of the kernel under test that @c's failure shows, or NULL. */
static const char *known_bug(enum check c, struct target *t)
{
	if (!check_bug[c] || !old_kernel())
		return NULL;
	/* dm tells nobody above it; its dax_device has no holder to notify. */
	if (c == REVOKED && dm_mode)
		return dm_revoke_bug;
	/* xfs with rmapbt is told by kill_dax() and invalidates its mappings. */
	return c == REVOKED && t->rmapbt ? NULL : check_bug[c];
}

/*
 * xfs with rmapbt handles the removal as a memory failure of the whole
 * device: it sends SIGBUS (BUS_MCEERR_AO) to every process that maps a
 * file of it, touched or not.  The processes here that must survive to
 * report count those signals instead of dying of them.
 */
static volatile sig_atomic_t async_sigbus;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	async_sigbus++;
}

static void count_sigbus(void)
{
	/* restarted: the waits for the remover must not end early */
	struct sigaction sa = {
		.sa_sigaction = on_sigbus,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};

	sigaction(SIGBUS, &sa, NULL);
}

/*
 * A child that maps @map's pages itself, writable (a child inherits the
 * mapping but not its page table entries, and a fresh fault after the
 * removal would fail whatever the kernel does with existing ones, as would
 * a write fault on a read-only entry), says so on @ready,
 * waits for a byte on @go, then runs @fn on @map.
 */
static pid_t spawn(int ready, int go, void (*fn)(void *), void *map)
{
	volatile uint8_t *p = map;
	pid_t pid = fork();
	ssize_t n;
	char c;

	if (pid)
		return pid;
	/* Written, so the entries are writable: O_DIRECT reads need that. */
	p[0] = p[0];
	p[LEN - 1] = p[LEN - 1];
	if (write(ready, "r", 1) != 1)
		_exit(3);
	do
		n = read(go, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(3);
	fn(map);
	_exit(0);
}

static void touch_after(void *map)
{
	volatile uint8_t *p = map;

	/* Told of the removal in advance (xfs with rmapbt): that is revoked. */
	if (async_sigbus)
		raise(SIGKILL);
	signal(SIGBUS, SIG_DFL);

	/* Expected to die of SIGBUS here. */
	(void)p[0];
	(void)p[LEN - 1];
	_exit(0);
}

static void unmap_and_exit(void *map)
{
	_exit(munmap(map, LEN) ? 2 : 0);
}

static void pin_after(void *map)
{
	const char *scratch = getenv("DAXGUP_SCRATCH");
	int fd = open(scratch, O_RDONLY | O_DIRECT);
	ssize_t n;

	alarm(30);
	n = pread(fd, map, LEN, 0);
	_exit(n < 0 ? 0 : 1);
}

/*
 * An asynchronous SIGBUS (xfs with rmapbt, see count_sigbus()) may land
 * in the middle: a wait that ended early would let the test go on while
 * the removal is still running.
 */
static int wait_child(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	return r == pid ? status : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until daxgup_pmem has released @t's parked memory: the read
 * completed and the filesystem is unmounted, so no page of it is pinned
 * or tied to a file.  The driver checks again within seconds (backing off
 * up to about 8 s).  The 60 s limit only detects a release that never
 * comes (a hang); it is not a timing assertion.  False, with PARKED
 * failed, if it did not come.
 */
static bool wait_released(struct target *t, int iter, struct outcome *o)
{
	double end = now() + 60;
	unsigned long long busy;
	char line[256] = "";
	int rc;

	for (;;) {
		rc = parked_line(t, line, sizeof(line), &busy);
		if (!rc)
			return true;
		if (rc < 0 && rc != -EINVAL) {
			fail(o, PARKED, iter, "waiting for the release: cannot read parked: %s",
			     strerror(-rc));
			return false;
		}
		if (now() > end)
			break;
		usleep(100000);
	}
	fail(o, PARKED, iter, "never released: 60 s after the read completed and the unmount, parked still lists \"%s\"",
	     line);
	return false;
}

/*
 * Run @script with sh, its $1... the strings that follow (NULL ends
 * them, at most four).  Its exit status, or -1 if it did not exit.
 */
static int run_sh(const char *script, ...)
{
	const char *argv[9] = { "sh", "-c", script, "sh" };
	va_list ap;
	int n = 4;
	pid_t pid;

	va_start(ap, script);
	while (n < 8 && (argv[n] = va_arg(ap, const char *)))
		n++;
	argv[n] = NULL;
	va_end(ap);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		execv("/bin/sh", (char **)argv);
		_exit(127);
	}
	n = wait_child(pid);
	return WIFEXITED(n) ? WEXITSTATUS(n) : -1;
}

/* The dm device stacked on @t's pmem device: daxgup-stack-<X> for pmem<X>. */
static void dm_name(const struct target *t, char *out, size_t len)
{
	snprintf(out, len, "daxgup-stack-%s", t->m->dev + strcspn(t->m->dev, "0123456789"));
}

/* What the filesystem of @t is mounted from. */
static void mount_dev(const struct target *t, char *out, size_t len)
{
	char name[64];

	dm_name(t, name, sizeof(name));
	if (dm_mode)
		snprintf(out, len, "/dev/mapper/%s", name);
	else
		snprintf(out, len, "/dev/%s", t->m->dev);
}

/* The size of block device @dev, in 512-byte sectors. */
static unsigned long long dev_sectors(const char *dev)
{
	unsigned long long bytes = 0;
	int fd = open(dev, O_RDONLY);

	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes))
		ksft_exit_fail_msg("%s: %s\n", dev, strerror(errno));
	close(fd);
	return bytes >> 9;
}

/*
 * A dm device of dm_mode over all of @t's pmem device; striped: over it and
 * leg2's, as much of each as the smaller one has, in 4 KiB chunks, so that
 * every file of the test has pages on both legs and pinned pages on the
 * one that goes.
 */
static void dm_create(const struct target *t)
{
	char name[64], dev[64], dev2[64], table[256];
	unsigned long long n;

	dm_name(t, name, sizeof(name));
	snprintf(dev, sizeof(dev), "/dev/%s", t->m->dev);
	n = dev_sectors(dev);
	if (striped()) {
		snprintf(dev2, sizeof(dev2), "/dev/%s", leg2->m->dev);
		if (dev_sectors(dev2) < n)
			n = dev_sectors(dev2);
		n -= n % 8;
		snprintf(table, sizeof(table), "0 %llu striped 2 8 %s 0 %s 0",
			 2 * n, dev, dev2);
	} else {
		snprintf(table, sizeof(table), "0 %llu %s %s 0", n, dm_mode, dev);
	}
	/* no udev in the guest: the node is made by hand */
	if (run_sh("dmsetup create --noudevsync \"$1\" --table \"$2\" && dmsetup mknodes \"$1\" && [ -b \"/dev/mapper/$1\" ]",
		   name, table, NULL))
		ksft_exit_fail_msg("dmsetup create %s --table \"%s\" failed\n", name, table);
}

static void dm_remove(const struct target *t)
{
	char name[64];

	dm_name(t, name, sizeof(name));
	if (run_sh("dmsetup remove --noudevsync --retry \"$1\" && dmsetup mknodes", name, NULL))
		ksft_exit_fail_msg("dmsetup remove %s failed\n", name);
}

/*
 * Make @t's filesystem on @dev as the lab's setup.sh does: ext4 with 2 MiB
 * stripe hints; xfs with a 2 MiB stripe unit, rmapbt where the lab's had
 * it, and exchange-range (where xfsprogs cannot, xfs_db sets the feature
 * bit, XFS_SB_FEAT_INCOMPAT_EXCHRANGE, in the fresh superblock).
 */
static void make_fs(const struct target *t, const char *dev)
{
	static const char ext4[] = "mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 \"$1\"";
	static const char xfs[] =
		"mkfs.xfs -q -f -d su=2m,sw=1 -m rmapbt=$2 -i exchange=1 \"$1\" 2>/dev/null && exit 0\n"
		"mkfs.xfs -q -f -d su=2m,sw=1 -m rmapbt=$2 \"$1\" || exit 1\n"
		"inc=$(xfs_db -c 'sb 0' -c 'print features_incompat' \"$1\" | sed -n 's/^features_incompat = //p')\n"
		"[ -n \"$inc\" ] || exit 1\n"
		"xfs_db -x -c 'sb 0' -c \"write -d features_incompat $((inc | 0x40))\" \"$1\" >/dev/null 2>&1\n";

	if (run_sh(strcmp(t->m->fs, "xfs") ? ext4 : xfs, dev, t->rmapbt ? "1" : "0", NULL))
		ksft_exit_fail_msg("mkfs.%s on %s failed\n", t->m->fs, dev);
}

/*
 * Mount @dev at @t's directory -o dax=always, and check that DAX is on: the
 * mount kept dax=always, and a new file reports STATX_ATTR_DAX.
 */
static void mount_dax(const struct target *t, const char *dev)
{
	char path[PATH_MAX], line[1024], where[PATH_MAX];
	bool opt = false;
	struct statx stx;
	FILE *f;
	int fd;

	if (mount(dev, t->m->dir, t->m->fs, 0, "dax=always"))
		ksft_exit_fail_msg("mount %s on %s: %s\n", dev, t->m->dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/.daxcheck", t->m->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, SZ_4K) ||
	    statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	close(fd);
	unlink(path);
	snprintf(where, sizeof(where), " %s %s ", t->m->dir, t->m->fs);
	f = fopen("/proc/mounts", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, where) && strstr(line, "dax=always"))
			opt = true;
	if (f)
		fclose(f);
	if (!opt || !(stx.stx_attributes & STATX_ATTR_DAX))
		ksft_exit_fail_msg("%s on %s is not DAX (dax=always %s in /proc/mounts, STATX_ATTR_DAX %s)\n",
				   dev, t->m->dir, opt ? "is" : "not",
				   stx.stx_attributes & STATX_ATTR_DAX ? "set" : "not set");
}

/* Replace the lab's filesystem on @t's pmem device by the same on a dm device over it. */
static void dm_stack(struct target *t)
{
	char dev[PATH_MAX];

	if (umount(t->m->dir))
		ksft_exit_fail_msg("umount %s: %s\n", t->m->dir, strerror(errno));
	if (striped() && umount(leg2->m->dir))
		ksft_exit_fail_msg("umount %s: %s\n", leg2->m->dir, strerror(errno));
	dm_create(t);
	mount_dev(t, dev, sizeof(dev));
	make_fs(t, dev);
	mount_dax(t, dev);
}

/* And back: the dm device removed, the lab's filesystem made and mounted again. */
static void dm_unstack(struct target *t)
{
	char dev[PATH_MAX];

	if (umount(t->m->dir))
		ksft_exit_fail_msg("umount %s: %s\n", t->m->dir, strerror(errno));
	dm_remove(t);
	snprintf(dev, sizeof(dev), "/dev/%s", t->m->dev);
	make_fs(t, dev);
	mount_dax(t, dev);
	if (striped()) {
		snprintf(dev, sizeof(dev), "/dev/%s", leg2->m->dev);
		make_fs(leg2, dev);
		mount_dax(leg2, dev);
	}
}

/*
 * Serve @t's namespace again after a removal by a driver that parks: its
 * pfn device bound again, or (@region) its region, then whichever device
 * of the namespace got no driver (the namespace's own probe is refused
 * too while the range is parked: then it has no pfn device yet).  With
 * @retry (nd_pmem, which lists no parked memory to wait for) a bind
 * refused with EBUSY is tried again every 100 ms until the parked memory
 * is released; the 60 s limit only detects a release that never comes (a
 * hang), it is not a timing assertion.  Without it (daxgup_pmem, whose
 * "parked" line already went) the first refusal fails PARKED.  False if
 * the namespace is not served.
 */
static bool bring_back(struct target *t, int iter, bool region, bool retry, struct outcome *o)
{
	char path[PATH_MAX], pfn[64], dev[64], why[256];
	double end = now() + 60;
	int rc;

	if (region) {
		removal_path(t, true, true, path, sizeof(path));
		rc = sysfs_write(path, t->region);
		if (rc) {
			snprintf(why, sizeof(why), "binding %s to nd_region again failed: %s",
				 t->region, strerror(-rc));
			fail(o, PARKED, iter, "%s", why);
			return false;
		}
	}
	for (;;) {
		settle(t);
		if (region)
			find_pfn(t, pfn, sizeof(pfn));
		else
			snprintf(pfn, sizeof(pfn), "%s", t->pfn);
		if (pfn[0] && bound(pfn))
			return true;
		if (!pfn[0] && bound(t->ns)) {
			snprintf(why, sizeof(why), "%s came back without its pfn device, served raw by %s",
				 t->ns, t->drv);
			fail(o, PARKED, iter, "%s", why);
			return false;
		}
		snprintf(dev, sizeof(dev), "%s", pfn[0] ? pfn : t->ns);
		snprintf(path, sizeof(path), "/sys/bus/nd/drivers/%s/bind", t->drv);
		rc = sysfs_write(path, dev);
		/* a namespace hands itself over to a new pfn device: ENXIO */
		if (!rc || (!pfn[0] && rc == -ENXIO))
			rc = 0;
		else if (rc != -EBUSY || !retry)
			break;
		if (now() > end)
			break;
		usleep(100000);
	}
	if (!rc)
		snprintf(why, sizeof(why), "binding %s to %s again succeeded, yet it has no driver",
			 dev, t->drv);
	else if (rc == -EBUSY && retry)
		snprintf(why, sizeof(why), "not served 60 s after the read completed and the unmount: binding %s to %s again still fails with EBUSY",
			 dev, t->drv);
	else
		snprintf(why, sizeof(why), "%sbinding %s to %s again failed: %s",
			 retry ? "" : "after the release, ", dev, t->drv, strerror(-rc));
	fail(o, PARKED, iter, "%s", why);
	return false;
}

/*
 * Bring the device back and mount the filesystem again.  With a driver
 * that parks, once its parked memory was released; a device that does not
 * come back then fails PARKED and false is returned: @t cannot be used
 * any more.
 */
static bool restore(struct target *t, int iter, bool region, struct outcome *o)
{
	char path[PATH_MAX], dev[PATH_MAX];
	int i, rc;

	if (umount(t->m->dir))
		umount2(t->m->dir, MNT_DETACH);
	/* Made again below: a dm device whose pmem went keeps its DAX off. */
	if (dm_mode)
		dm_remove(t);
	if (is_daxgup(t) && !wait_released(t, iter, o))
		return false;
	if (parks(t)) {
		if (!bring_back(t, iter, region, !is_daxgup(t), o))
			return false;
	} else {
		removal_path(t, region, true, path, sizeof(path));
		rc = sysfs_write(path, region ? t->region : t->pfn);
		if (rc)
			ksft_exit_fail_msg("writing %s: %s\n", path, strerror(-rc));
		settle(t);
	}
	if (dm_mode)
		dm_create(t);
	mount_dev(t, dev, sizeof(dev));
	for (i = 0; i < 100; i++) {
		if (!mount(dev, t->m->dir, t->m->fs, 0, "dax=always")) {
			if (find_target(t->m, t))
				ksft_exit_fail_msg("no nd device behind /dev/%s after it came back\n",
						   t->m->dev);
			return true;
		}
		usleep(100000);
	}
	if (parks(t)) {
		fail(o, PARKED, iter, "after the release, it is bound but does not mount: %s",
		     strerror(errno));
		return false;
	}
	ksft_exit_fail_msg("%s: cannot mount %s again: %s\n", t->m->dir, dev, strerror(errno));
}

/* ndctl must refuse to disable what is mounted: nothing may change. */
static void check_ndctl(struct target *t, const char *name)
{
	char cmd[256], why[256] = "";
	struct stat st;
	int rc;

	snprintf(cmd, sizeof(cmd), "ndctl disable-namespace %s >/dev/null 2>&1", t->ns);
	rc = system(cmd);
	if (!bound(t->pfn))
		snprintf(why, sizeof(why), "ndctl disable-namespace %s (exit %d) disabled it while mounted",
			 t->ns, WEXITSTATUS(rc));
	snprintf(cmd, sizeof(cmd), "ndctl disable-region %s >/dev/null 2>&1", t->region);
	rc = system(cmd);
	if (!why[0] && (!bound(t->region) || !bound(t->pfn)))
		snprintf(why, sizeof(why), "ndctl disable-region %s (exit %d) disabled it while mounted",
			 t->region, WEXITSTATUS(rc));
	snprintf(cmd, sizeof(cmd), "/dev/%s", t->m->dev);
	if (!why[0] && stat(cmd, &st))
		snprintf(why, sizeof(why), "/dev/%s is gone", t->m->dev);
	report_case(name, why);
	if (why[0])
		ksft_exit_fail_msg("the device is in an unknown state: stopping\n");
}

/* One removal, and the device back again; false if it cannot come back. */
static bool one_removal(struct target *t, int iter, bool region, struct outcome *o)
{
	const char *slow = getenv("DAXGUP_SLOW");
	char file[3][PATH_MAX], path[PATH_MAX], msg[64];
	struct iocb cb, *cbs[1] = { &cb };
	struct timespec zero = { 0, 0 };
	void *map[3], *pat = anon_buf(LEN);
	pid_t toucher, exiter, remover, pinner;
	bool reaped = false, early = false, parking = parks(t), back;
	int fd[3], sfd, go[2], ready[2], i, status = 0, rstatus = 0, kfd;
	io_context_t ctx = 0;
	struct io_event ev;

	fill_pattern(pat, LEN, 0xb1d + iter);
	if (direct_pwrite(slow, pat, LEN, 0))
		ksft_exit_fail_msg("writing %s: %s\n", slow, strerror(errno));
	for (i = 0; i < 3; i++) {
		snprintf(file[i], sizeof(file[i]), "%s/unbind-%c", t->m->dir, 'a' + i);
		fd[i] = open(file[i], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd[i] < 0 || fallocate(fd[i], 0, 0, LEN))
			ksft_exit_fail_msg("%s: %s\n", file[i], strerror(errno));
		map[i] = dax_map(fd[i], LEN, DAX_PMD);
		if (!map[i])
			ksft_exit_fail_msg("mmap %s: %s\n", file[i], strerror(errno));
		memset(map[i], 0x5a, LEN);
	}
	if (pipe(go) || pipe(ready))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	toucher = spawn(ready[1], go[0], touch_after, map[1]);
	pinner = spawn(ready[1], go[0], pin_after, map[1]);
	exiter = spawn(ready[1], go[0], unmap_and_exit, map[2]);
	for (i = 0; i < 3; i++)
		if (read(ready[0], msg, 1) != 1)
			ksft_exit_fail_msg("a child did not map its pages\n");

	sfd = open(slow, O_RDONLY | O_DIRECT);
	if (sfd < 0 || io_setup(1, &ctx))
		ksft_exit_fail_msg("%s: %s\n", slow, strerror(errno));
	io_prep_pread(&cb, sfd, map[0], LEN, 0);
	if (io_submit(ctx, 1, cbs) != 1)
		ksft_exit_fail_msg("io_submit failed\n");
	ksft_print_msg("iteration %d: read in flight into %s; unbinding %s from %s\n", iter,
		       file[0], region ? t->region : t->pfn, region ? "nd_region" : t->drv);
	fflush(stdout);

	/* The kernel log from here on, for report_parking(). */
	kfd = parking ? open("/dev/kmsg", O_RDONLY | O_NONBLOCK) : -1;
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	removal_path(t, region, false, path, sizeof(path));
	/*
	 * A new program, not a fork: a fork would inherit the DAX mappings,
	 * and xfs with rmapbt signals every process that maps the device's
	 * files ahead of the removal.  The remover only writes sysfs.
	 */
	remover = fork();
	if (!remover) {
		execl("/bin/sh", "sh", "-c", "printf %s \"$1\" >\"$2\"", "sh",
		      region ? t->region : t->pfn, path, (char *)NULL);
		_exit(127);
	}
	/* Whichever ends first: a driver that waits must not return first, one that parks must. */
	for (;;) {
		if (io_getevents(ctx, 0, 1, &ev, &zero) == 1) {
			reaped = true;
			rstatus = wait_child(remover);
			break;
		}
		if (waitpid(remover, &rstatus, WNOHANG) == remover) {
			reaped = io_getevents(ctx, 0, 1, &ev, &zero) == 1;
			early = !reaped;
			break;
		}
		usleep(10000);
	}
	/* nd_pmem has no list of parked memory: only a pfn device's bind tells. */
	if (parking && early && (is_daxgup(t) || !region))
		reaped = check_parked(t, iter, region, ctx, &ev, o);
	while (!reaped) {
		int n = io_getevents(ctx, 1, 1, &ev, NULL);

		if (n != -EINTR) {
			reaped = n == 1;
			break;
		}
	}
	if (!parking && early)
		fail(o, INFLIGHT, iter, "the removal returned while the DMA was in flight%s", "");
	else if (!WIFEXITED(rstatus) || WEXITSTATUS(rstatus))
		fail(o, INFLIGHT, iter, WIFEXITED(rstatus) ? "writing %s failed" :
		     "the process writing %s was killed", path);
	else if (parking && !early)
		fail(o, INFLIGHT, iter, "the removal returned only after the read completed%s", "");
	snprintf(msg, sizeof(msg), "%ld", reaped ? (long)ev.res : 0L);
	if (!reaped || (long)ev.res != (long)LEN)
		fail(o, INFLIGHT, iter, "the read failed: %s", msg);

	/* The device is gone: its mappings must be too. */
	if (write(go[1], "ggg", 3) != 3)
		ksft_exit_fail_msg("pipe write: %s\n", strerror(errno));
	status = wait_child(toucher);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		status = SIGBUS;	/* see touch_after() */
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		fail(o, REVOKED, iter, "the mapping still reads the departed device's memory%s", "");
	else if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS)
		fail(o, REVOKED, iter, "the toucher ended with status %s", (snprintf(msg, sizeof(msg), "%#x", status), msg));

	status = wait_child(pinner);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fail(o, NEWPIN, iter, "the O_DIRECT read into the mapping hung for 30 s%s", "");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		fail(o, NEWPIN, iter, "the O_DIRECT read into the mapping succeeded%s", "");
	else if (!WIFEXITED(status))
		fail(o, NEWPIN, iter, "the pinner ended with status %s", (snprintf(msg, sizeof(msg), "%#x", status), msg));

	status = wait_child(exiter);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(o, EXITED, iter, "the process that munmaps and exits ended with status %s",
		     (snprintf(msg, sizeof(msg), "%#x", status), msg));

	if (async_sigbus)
		ksft_print_msg("iteration %d: SIGBUS sent ahead of the removal to the processes that map its files (%d here)\n",
			       iter, (int)async_sigbus);
	async_sigbus = 0;
	for (i = 0; i < 3; i++) {
		munmap(map[i], LEN);
		close(fd[i]);
	}
	io_destroy(ctx);
	close(sfd);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	free(pat);
	back = restore(t, iter, region, o);
	report_parking(kfd, t, iter);
	if (kfd >= 0)
		close(kfd);
	return back;
}

/* Every removal of each target, under the current dm_mode. */
static void run_targets(struct target *targets, int nt, struct target *others, int no,
			int iters)
{
	bool used[MAX_MOUNTS] = { false };
	char name[512];
	int i, it, c, j;

	for (i = 0; i < nt; i++) {
		struct target *t = &targets[i];
		struct outcome o = { 0 };
		bool back = true;
		const char *bug;
		char tag[256];

		/* striped: another lab filesystem of the driver lends its device */
		leg2 = NULL;
		for (j = 0; striped() && j < no && !leg2; j++) {
			if (!used[j] && !strcmp(others[j].drv, t->drv)) {
				used[j] = true;
				leg2 = &others[j];
			}
		}
		if (striped() && !leg2)
			ksft_exit_fail_msg("DAXGUP_UNBIND_DM=striped: no other filesystem of %s to lend %s a second leg\n",
					   t->drv, t->m->dir);
		snprintf(tag, sizeof(tag), "%s%s/%s/%s%s%s", t->m->fs, t->rmapbt ? "+rmapbt" : "",
			 t->m->memmap, t->drv, dm_mode ? "/dm-" : "", dm_mode ? dm_mode : "");
		if (dm_mode)
			dm_stack(t);
		snprintf(name, sizeof(name), "%s: ndctl refuses to disable a mounted namespace or region", tag);
		check_ndctl(t, name);
		for (it = 0; it < iters && back; it++) {
			back = one_removal(t, it, (it + i) % 2, &o);
			if (!back)
				ksft_print_msg("%s did not come back: no more removals of it\n",
					       t->ns);
		}
		for (c = 0; c < NR_CHECKS; c++) {
			if (c == PARKED && !parks(t))
				continue;
			bug = known_bug(c, t);
			snprintf(name, sizeof(name), "%s: %s (%s, %d removals: its pfn device unbound, %s unbound, in turn)",
				 tag, check_title(c, t), t->ns, iters, t->region);
			if (!o.why[c][0] && c == PARKED && !o.parked_seen) {
				ksft_test_result_skip("%s: no removal returned while the read was still in flight at the check\n",
						      name);
			} else if (!o.why[c][0]) {
				ksft_test_result_pass("%s\n", name);
			} else if (bug) {
				ksft_print_msg("%s\n", o.why[c]);
				ksft_test_result_xfail("%s: known bug on %s kernel: %s\n", name,
						       getenv("DAXGUP_KERNEL"), bug);
			} else {
				ksft_print_msg("%s\n", o.why[c]);
				ksft_test_result_fail("%s\n", name);
			}
		}
		/* The boot goes on with the lab's filesystem where it was. */
		if (dm_mode && back)
			dm_unstack(t);
		else if (dm_mode)
			ksft_print_msg("%s: %s did not come back: the lab's filesystem is not restored\n",
				       tag, t->ns);
	}
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *want_fs = getenv("DAXGUP_UNBIND_FS"), *want_map = getenv("DAXGUP_UNBIND_MAP");
	int n = dax_mounts(mounts, MAX_MOUNTS), iters = 2, i, nt = 0, no = 0, nm = 0, plan = 0, mi = 0;
	struct target targets[MAX_MOUNTS], others[MAX_MOUNTS];
	char modes[64], *mode, *save;

	if (getenv("DAXGUP_ITER") && atoi(getenv("DAXGUP_ITER")) > iters)
		iters = atoi(getenv("DAXGUP_ITER"));
	ksft_print_header();
	snprintf(modes, sizeof(modes), "%s", getenv("DAXGUP_UNBIND_DM") ?: "");
	for (mode = strtok_r(modes, " ,", &save); mode; mode = strtok_r(NULL, " ,", &save)) {
		if (strcmp(mode, "linear") && strcmp(mode, "striped"))
			ksft_exit_fail_msg("DAXGUP_UNBIND_DM=%s: expected linear, striped or both\n",
					   getenv("DAXGUP_UNBIND_DM"));
		nm += dm_mode_taken(mi++);
	}
	if (mi && !nm)
		ksft_exit_skip("DAXGUP_UNBIND_DM=%s: the other passes (DAXGUP_SHARE=%s) run them\n",
			       getenv("DAXGUP_UNBIND_DM"), getenv("DAXGUP_SHARE"));
	if (!getenv("DAXGUP_SLOW") || !getenv("DAXGUP_SCRATCH"))
		ksft_exit_skip("no slow or scratch device\n");
	for (i = 0; i < n; i++) {
		struct target *to = &targets[nt];

		if ((want_fs && strcmp(mounts[i].fs, want_fs)) ||
		    (want_map && strcmp(mounts[i].memmap, want_map)))
			to = &others[no];
		if (find_target(&mounts[i], to))
			ksft_exit_fail_msg("no nd device behind /dev/%s\n", mounts[i].dev);
		if (to == &targets[nt])
			nt++;
		else
			no++;
	}
	if (!nt)
		ksft_exit_skip("no DAX filesystem to take away\n");
	if (strstr(getenv("DAXGUP_UNBIND_DM") ?: "", "striped") && no < nt)
		ksft_exit_fail_msg("DAXGUP_UNBIND_DM=striped: the second legs are the filesystems that DAXGUP_UNBIND_FS or DAXGUP_UNBIND_MAP leave out, and %d are left out for %d taken\n",
				   no, nt);
	/* ndctl and each check; PARKED only where the driver parks. */
	for (i = 0; i < nt; i++)
		plan += 1 + NR_CHECKS - !parks(&targets[i]);
	ksft_set_plan(plan * (nm ?: 1));
	count_sigbus();

	snprintf(modes, sizeof(modes), "%s", getenv("DAXGUP_UNBIND_DM") ?: "");
	mi = 0;
	dm_mode = next_dm_mode(modes, &save, &mi);
	do {
		run_targets(targets, nt, others, no, iters);
	} while (dm_mode && (dm_mode = next_dm_mode(NULL, &save, &mi)));
	ksft_finished();
}
