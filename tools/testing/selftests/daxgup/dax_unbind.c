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
 * Checks:
 *   inflight   the removal returns only after the read's completion event
 *              is posted, and the read completed in full;
 *   revoked    touching B afterwards raises SIGBUS: it does not reach the
 *              departed device's memory;
 *   new-pin    an O_DIRECT read into B afterwards fails (GUP returns an
 *              error): it neither succeeds nor hangs;
 *   exit       C's owner can munmap and exit afterwards;
 *   ndctl      before the first removal: ndctl disable-namespace and
 *              disable-region refuse a mounted namespace.
 * Then the device comes back (bind), the filesystem is mounted again, and
 * the next iteration runs.  The lab's dmesg check fails the test on any
 * WARNING, BUG, KASAN or lockdep report.
 *
 * On 6.12 with nd_pmem the in-flight read oopses the kernel when it lands
 * (memunmap_pages() does not wait for pinned FS_DAX pages): the lab runs
 * this test in a boot of its own and reports that crash as the known bug.
 * Without the series no filesystem revokes the mappings (xfs does, only
 * with rmapbt), so "revoked" is a known bug on stock and base with any
 * driver: reported as XFAIL there, never as a pass.  A new pin was seen to
 * fail there as well (with daxgup_pmem; nd_pmem crashes before), so it is
 * held to that everywhere.
 */
#include <libaio.h>
#include <limits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "daxgup.h"

#define LEN	SZ_2M

enum check { INFLIGHT, REVOKED, NEWPIN, EXITED, NR_CHECKS };

static const char * const check_name[NR_CHECKS] = {
	"removal waits for in-flight O_DIRECT DMA into DAX pages",
	"a live mapping gets SIGBUS after the removal",
	"a new O_DIRECT pin of the mapping fails after the removal",
	"munmap and exit after the removal are safe",
};

/* Known bugs of kernels without the series, per check. */
static const char * const check_bug[NR_CHECKS] = {
	NULL,
	"6.12 revokes DAX mappings on removal only for xfs with rmapbt",
	NULL,
	NULL,
};

/* The device behind a DAX mount, and how to take it away. */
struct target {
	struct dax_mount *m;
	char pfn[64];		/* pfnX.Y: the personality device */
	char region[64];	/* regionX */
	char ns[64];		/* namespaceX.Y */
	char drv[64];		/* the pmem driver bound to pfn */
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
	if (strncmp(t->ns, "namespace", 9) || strncmp(t->region, "region", 6))
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

static bool known_bug(enum check c, struct target *t)
{
	const char *k = getenv("DAXGUP_KERNEL");

	if (!check_bug[c] || !k || !strcmp(k, "patched"))
		return false;
	/* xfs with rmapbt is told by kill_dax() and invalidates its mappings. */
	return !(c == REVOKED && t->rmapbt);
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

/* Bring the device back and mount the filesystem again. */
static void restore(struct target *t, bool region)
{
	char path[PATH_MAX], dev[PATH_MAX];
	int i;

	if (umount(t->m->dir))
		umount2(t->m->dir, MNT_DETACH);
	removal_path(t, region, true, path, sizeof(path));
	if (sysfs_write(path, region ? t->region : t->pfn))
		ksft_exit_fail_msg("writing %s: %s\n", path, strerror(errno));
	snprintf(dev, sizeof(dev), "/dev/%s", t->m->dev);
	for (i = 0; i < 100; i++) {
		if (!mount(dev, t->m->dir, t->m->fs, 0, "dax=always")) {
			if (find_target(t->m, t))
				ksft_exit_fail_msg("no nd device behind %s after it came back\n", dev);
			return;
		}
		usleep(100000);
	}
	ksft_exit_fail_msg("%s: cannot mount %s again: %s\n", t->m->dir, dev, strerror(errno));
}

static bool bound(const char *dev)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", dev);
	return !stat(path, &st);
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

struct outcome {
	char why[NR_CHECKS][256];
};

static void fail(struct outcome *o, enum check c, int iter, const char *fmt, const char *arg)
{
	char msg[200];

	if (o->why[c][0])
		return;
	snprintf(msg, sizeof(msg), fmt, arg);
	snprintf(o->why[c], sizeof(o->why[c]), "iteration %d: %s", iter, msg);
}

/* One removal, and the device back again. */
static void one_removal(struct target *t, int iter, bool region, struct outcome *o)
{
	const char *slow = getenv("DAXGUP_SLOW");
	char file[3][PATH_MAX], path[PATH_MAX], msg[64];
	struct iocb cb, *cbs[1] = { &cb };
	struct timespec zero = { 0, 0 };
	void *map[3], *pat = anon_buf(LEN);
	pid_t toucher, exiter, remover, pinner;
	bool reaped = false, early = false;
	int fd[3], sfd, go[2], ready[2], i, status = 0, rstatus = 0;
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
	/* Whichever ends first: the removal must not. */
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
	while (!reaped) {
		int n = io_getevents(ctx, 1, 1, &ev, NULL);

		if (n != -EINTR) {
			reaped = n == 1;
			break;
		}
	}
	if (early)
		fail(o, INFLIGHT, iter, "the removal returned while the DMA was in flight%s", "");
	else if (!WIFEXITED(rstatus) || WEXITSTATUS(rstatus))
		fail(o, INFLIGHT, iter, WIFEXITED(rstatus) ? "writing %s failed" :
		     "the process writing %s was killed", path);
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
	restore(t, region);
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *want_fs = getenv("DAXGUP_UNBIND_FS"), *want_map = getenv("DAXGUP_UNBIND_MAP");
	int n = dax_mounts(mounts, MAX_MOUNTS), iters = 2, i, it, c, nt = 0;
	struct target targets[MAX_MOUNTS];
	char name[512];

	if (getenv("DAXGUP_ITER") && atoi(getenv("DAXGUP_ITER")) > iters)
		iters = atoi(getenv("DAXGUP_ITER"));
	ksft_print_header();
	if (!getenv("DAXGUP_SLOW") || !getenv("DAXGUP_SCRATCH"))
		ksft_exit_skip("no slow or scratch device\n");
	for (i = 0; i < n; i++) {
		if ((want_fs && strcmp(mounts[i].fs, want_fs)) ||
		    (want_map && strcmp(mounts[i].memmap, want_map)))
			continue;
		if (find_target(&mounts[i], &targets[nt]))
			ksft_exit_fail_msg("no nd device behind /dev/%s\n", mounts[i].dev);
		nt++;
	}
	if (!nt)
		ksft_exit_skip("no DAX filesystem to take away\n");
	ksft_set_plan(nt * (NR_CHECKS + 1));
	count_sigbus();

	for (i = 0; i < nt; i++) {
		struct target *t = &targets[i];
		struct outcome o = { 0 };
		char tag[256];

		snprintf(tag, sizeof(tag), "%s%s/%s/%s", t->m->fs, t->rmapbt ? "+rmapbt" : "",
			 t->m->memmap, t->drv);
		snprintf(name, sizeof(name), "%s: ndctl refuses to disable a mounted namespace or region", tag);
		check_ndctl(t, name);
		for (it = 0; it < iters; it++)
			one_removal(t, it, (it + i) % 2, &o);
		for (c = 0; c < NR_CHECKS; c++) {
			snprintf(name, sizeof(name), "%s: %s (%s, %d removals: its pfn device unbound, %s unbound, in turn)",
				 tag, check_name[c], t->ns, iters, t->region);
			if (!o.why[c][0]) {
				ksft_test_result_pass("%s\n", name);
			} else if (known_bug(c, t)) {
				ksft_print_msg("%s\n", o.why[c]);
				ksft_test_result_xfail("%s: known bug on %s kernel: %s\n", name,
						       getenv("DAXGUP_KERNEL"), check_bug[c]);
			} else {
				ksft_print_msg("%s\n", o.why[c]);
				ksft_test_result_fail("%s\n", name);
			}
		}
	}
	ksft_finished();
}
