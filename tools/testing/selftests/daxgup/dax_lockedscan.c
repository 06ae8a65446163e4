// SPDX-License-Identifier: GPL-2.0
/*
 * dax_lockedscan: a hole punch must wait for DMA into a DAX page even when
 * the page's mapping entry is locked while the filesystem looks for busy
 * pages.
 *
 * Before ext4 and xfs free blocks (truncate, hole punch, ...) they call
 * dax_layout_busy_page_range() to find pages still pinned for DMA.  In 6.12
 * the scan meets a locked entry, calls get_unlocked_entry(), which inside
 * the xas_for_each() loop returns NULL (xas_find_conflict() looks past the
 * entry under the cursor), and takes the entry for absent: its page is never
 * checked.  dax_writeback_one() (fsync, msync(MS_SYNC), syncfs, the flusher
 * on an entry dirtied through a shared mapping) holds the entry locked for
 * the whole flush: across the walk of every VMA that maps the page, with a
 * cond_resched() per VMA, and the cache flush.  A punch that scans then
 * frees the blocks under an in-flight O_DIRECT read into the page.
 *
 * Each iteration, on a 64 KiB DAX file mapped MAP_SHARED once for the DMA
 * and NR_VMAS more times read-only (all at offset 0, so the walk is long;
 * the DMA's mapping is made last, so the walk reaches it last):
 *
 *   1. page 0 gets a block (pwrite()), then is written through the DMA's
 *      mapping, so its entry is tagged dirty; every read-only mapping is
 *      touched;
 *   2. a thread at SCHED_IDLE calls fsync() on a CPU that a busy process at
 *      normal priority keeps busy, so the fsync thread is descheduled at one
 *      of the cond_resched() of the walk and stays there for a long time,
 *      holding the entry lock (under PREEMPT_VOLUNTARY, the default of a
 *      PREEMPT_DYNAMIC kernel such as the lab's and Debian's, those
 *      cond_resched() are where it yields: preempt=full is not needed);
 *   3. once its kernel stack (/proc/self/task/TID/stack) shows
 *      dax_writeback_one() (dax_writeback_mapping_range() where that is
 *      inlined, as in Debian's 6.12), an asynchronous O_DIRECT read (libaio)
 *      of 4 KiB from the slow device (dm-delay, DAXGUP_SLOW: reads take 2 s)
 *      into page 0 is submitted: it pins the page;
 *   4. if the fsync thread is still there ("in the window"), the main thread
 *      punches a hole over page 0 (FALLOC_FL_PUNCH_HOLE|KEEP_SIZE);
 *   5. the busy process stops spinning as soon as the punch sleeps in DAX
 *      code (waiting for the entry, or for the page), so the flush ends and
 *      unlocks the entry long before the read lands;
 *   6. when the punch returned: has the read's completion event been posted
 *      (io_getevents() with a zero timeout)?  Then page 0 is written again
 *      (xfs aims its new block at the punched one, next to page 1's; ext4
 *      serves small files from a preallocation and in the lab did not) and
 *      a new file fills the free space left beside a ballast file; once the
 *      read completed, neither may hold the read's data.
 *
 * Correct: the punch returns only after the read completed, and what was
 * written after it stays.  The completion event is posted before the last
 * page is unpinned, so a punch that waited for the page always finds it: no
 * timing is involved.
 *
 * The scheduling only makes the window likely; whether an iteration hit it
 * is checked (step 4) and counted.  Per mount, DEFAULT_ITERS iterations
 * times DAXGUP_ITER (the lab's ITER, 1 by default); one result per mount:
 *   - the bug seen: XFAIL naming it on stock and base kernels, FAIL on others;
 *   - the window hit and the bug never seen: PASS, except on stock and base,
 *     where the bug is known and not seeing it proves nothing (SKIP);
 *   - the window never hit: SKIP.
 */
#include <libaio.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/falloc.h>

#include "daxgup.h"

#define FILE_LEN	(64UL << 10)
#define NR_VMAS		12000
/*
 * Every iteration hit the window in 80 of 80 runs on stock and on patched
 * (20 per mount), and every one of them showed the bug on stock: 5 keep
 * the suite short, ITER=4 runs those 20.
 */
#define DEFAULT_ITERS	5
/* Free space left beside the ballast: what the refill writes each time. */
#define SPARE_FREE	(4UL << 20)
#define FILL_CHUNK	(64UL << 10)

#define SEED_READ	0x10cd
#define SEED_FILE	0xf11e
#define SEED_FILL	0x6e3
#define SEED_REFILL	0x2e3

/* What the kernel may warn when it drops a pinned page's entry. */
#define DAX_WARN_RE \
	"fs/dax\\.c:[0-9]+ dax_disassociate_entry|fs/dax\\.c:[0-9]+ dax_insert_entry"

#define LOCKED_BUG \
	"6.12: dax_layout_busy_page_range() skips entries a flush has locked, frees under DMA"

/* The main thread and the fsync thread of one mount. */
struct ctl {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fd;
	int cpu;
	pid_t fsync_tid;
	/* under lock: a new fsync() asked for, and its result */
	unsigned int fsync_gen, fsync_done_gen;
	int fsync_ret;
	bool quit;
};

/*
 * The busy process, in memory shared with it.  A process of its own, not a
 * thread: the punch unmaps the page from all NR_VMAS mappings, each time
 * with a TLB shootdown to every CPU that runs a thread of this process.
 * With a busy thread, punches took seconds under TCG and often outlasted the
 * read; with a process, tens of milliseconds.
 */
enum busy_stop { BUSY_ASKED, BUSY_DAX_SLEEP, BUSY_PUNCH_DONE, BUSY_TIMEOUT };

static const char * const busy_stop_name[] = {
	[BUSY_ASKED] = "asked",
	[BUSY_DAX_SLEEP] = "punch asleep in DAX code",
	[BUSY_PUNCH_DONE] = "punch returned",
	[BUSY_TIMEOUT] = "timeout",
};

struct busy {
	atomic_int spin;	/* spin until this is cleared or a reason to stop */
	atomic_int spinning;	/* the busy process is spinning */
	atomic_int punch_done;
	atomic_int quit;
	pid_t pid, tid;		/* the thread that punches */
	int cpu;
	struct timespec stopped;
	int stop;		/* enum busy_stop */
};

static struct busy *busy;
static pid_t busy_pid;
static char wb_sym[64];

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Read a file of /proc/@pid/task/@tid into @buf; its length, or -1. */
static ssize_t read_task_file(pid_t pid, pid_t tid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, what);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while (got < (ssize_t)len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* Does the kernel stack of thread @tid of this process hold the function @sym? */
static bool stack_has(pid_t tid, const char *sym)
{
	char buf[4096], pat[80];

	if (read_task_file(getpid(), tid, "stack", buf, sizeof(buf)) <= 0)
		return false;
	snprintf(pat, sizeof(pat), "] %s+", sym);
	return strstr(buf, pat);
}

/* Is thread @tid of @pid asleep (D or S) with DAX code on its kernel stack? */
static bool asleep_in_dax(pid_t pid, pid_t tid)
{
	char buf[4096], *p;

	if (read_task_file(pid, tid, "stat", buf, sizeof(buf)) <= 0)
		return false;
	p = strrchr(buf, ')');
	if (!p || (p[2] != 'D' && p[2] != 'S'))
		return false;
	if (read_task_file(pid, tid, "stack", buf, sizeof(buf)) <= 0)
		return false;
	return strstr(buf, "dax");
}

/*
 * Is @name a function of the running kernel (/proc/kallsyms)?  The compiler
 * may have renamed it (name.isra.0): its name as the kernel knows it into
 * @found.
 */
static bool kernel_has(const char *name, char *found, size_t len)
{
	char line[512], sym[256];
	size_t n = strlen(name);
	bool ok = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && !ok && fgets(line, sizeof(line), f))
		ok = sscanf(line, "%*s %*s %255s", sym) == 1 && !strncmp(sym, name, n) &&
		     (!sym[n] || sym[n] == '.');
	if (f)
		fclose(f);
	if (ok)
		snprintf(found, len, "%s", sym);
	return ok;
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The fsync thread: SCHED_IDLE, on ctl->cpu; one fsync() per request. */
static void *fsync_thread(void *arg)
{
	struct ctl *c = arg;
	struct sched_param sp = { 0 };
	unsigned int gen = 0;
	int ret;

	pthread_mutex_lock(&c->lock);
	c->fsync_tid = gettid_();
	if (pin_to(c->cpu) || sched_setscheduler(0, SCHED_IDLE, &sp))
		c->fsync_ret = -errno;
	pthread_cond_broadcast(&c->cond);
	for (;;) {
		while (!c->quit && c->fsync_gen == gen)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->quit)
			break;
		gen = c->fsync_gen;
		pthread_mutex_unlock(&c->lock);
		ret = fsync(c->fd) ? -errno : 0;
		pthread_mutex_lock(&c->lock);
		c->fsync_ret = ret;
		c->fsync_done_gen = gen;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * The busy process: normal priority, on the fsync thread's CPU.  While
 * busy->spin is set it spins, and stops by itself once the punch sleeps in
 * DAX code (waiting for the entry, or for the page) or has returned.  It
 * also stops after SPIN_MAX_S: that only bounds how long the fsync thread
 * starves, it decides no result.
 */
#define SPIN_MAX_S	60

static void busy_main(pid_t parent)
{
	struct timespec t0, now;
	unsigned long n;
	int stop;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	while (!atomic_load(&busy->quit)) {
		if (!atomic_load(&busy->spin)) {
			usleep(200);
			continue;
		}
		pin_to(busy->cpu);
		atomic_store(&busy->spinning, 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		stop = BUSY_ASKED;
		for (n = 0; atomic_load(&busy->spin); n++) {
			if (n % 4096)
				continue;
			if (atomic_load(&busy->punch_done)) {
				stop = BUSY_PUNCH_DONE;
				break;
			}
			if (asleep_in_dax(busy->pid, busy->tid)) {
				stop = BUSY_DAX_SLEEP;
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > SPIN_MAX_S) {
				stop = BUSY_TIMEOUT;
				break;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &busy->stopped);
		busy->stop = stop;
		atomic_store(&busy->spin, 0);
		atomic_store(&busy->spinning, 0);
	}
	_exit(0);
}

/* Start the busy process on @cpu, or stop it; 0, or -1 if it does not answer. */
static int set_spin(int cpu, bool on)
{
	int i;

	if (on) {
		busy->cpu = cpu;
		atomic_store(&busy->punch_done, 0);
	}
	atomic_store(&busy->spin, on);
	/* 10 s: it answers within milliseconds; only a dead process does not. */
	for (i = 0; i < 100000 && atomic_load(&busy->spinning) != on; i++)
		usleep(100);
	return atomic_load(&busy->spinning) == on ? 0 : -1;
}

/* Wait for the fsync() of generation @gen; its result. */
static int fsync_wait(struct ctl *c, unsigned int gen)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	while (c->fsync_done_gen != gen)
		pthread_cond_wait(&c->cond, &c->lock);
	ret = c->fsync_ret;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

static bool fsync_finished(struct ctl *c, unsigned int gen)
{
	bool done;

	pthread_mutex_lock(&c->lock);
	done = c->fsync_done_gen == gen;
	pthread_mutex_unlock(&c->lock);
	return done;
}

/*
 * Write pattern chunks to a new file @path until the filesystem is full;
 * the bytes written, or -errno.
 */
static long fill_free_space(const char *path, void *buf)
{
	long off = 0;
	ssize_t n;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -errno;
	for (;;) {
		fill_pattern(buf, FILL_CHUNK, SEED_FILL + off / FILL_CHUNK);
		n = pwrite(fd, buf, FILL_CHUNK, off);
		if (n <= 0)
			break;
		off += n;
		if (n < (ssize_t)FILL_CHUNK)
			break;
	}
	if (n < 0 && errno != ENOSPC) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return off;
}

/*
 * Check the fill of @len bytes: -1 if intact, else the offset of the first
 * 4 KiB that changed; @landed says whether it holds the read's data.
 */
static long check_fill(const char *path, long len, void *buf, const void *readpat,
		       bool *landed)
{
	long off, bad = -1;
	size_t i;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	for (off = 0; off < len; off += FILL_CHUNK) {
		size_t n = len - off < (long)FILL_CHUNK ? (size_t)(len - off) : FILL_CHUNK;

		if (pread(fd, buf, n, off) != (ssize_t)n) {
			bad = off;
			break;
		}
		if (check_pattern(buf, n, SEED_FILL + off / FILL_CHUNK) < 0)
			continue;
		/* Which 4 KiB: the pattern is checked again to find it. */
		fill_pattern((char *)buf + FILL_CHUNK, FILL_CHUNK, SEED_FILL + off / FILL_CHUNK);
		for (i = 0; i < n; i += SZ_4K) {
			if (!memcmp((char *)buf + i, (char *)buf + FILL_CHUNK + i, SZ_4K))
				continue;
			if (bad < 0)
				bad = off + i;
			if (!memcmp((char *)buf + i, readpat, SZ_4K)) {
				*landed = true;
				bad = off + i;
				break;
			}
		}
		if (*landed)
			break;
	}
	close(fd);
	return bad;
}

struct counts {
	int iters, window, early, landed, bug;
	/* misses: the fsync never seen in the flush, or gone from it at the punch */
	int unseen, left;
	bool window_shown;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * One iteration; fills @why on an error of the test itself (not the bug).
 * @map is the DMA mapping, @ro the read-only ones.
 */
static void one_iteration(struct ctl *c, const struct dax_mount *m, io_context_t ctx,
			  int sfd, uint8_t *map, uint8_t **ro, void *buf, const void *readpat,
			  struct counts *k, char *why, size_t whylen)
{
	char reuse[512];
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	struct timespec zero = { 0, 0 }, hang = { 120, 0 }, t0;
	long t_punch, t_fill = -1, t_done, t_busy;
	bool in_wb = false, in_window, reaped = false, early, landed = false, fill_landed = false;
	unsigned int gen;
	long filled = 0, bad;
	int i, ret;

	snprintf(reuse, sizeof(reuse), "%s/lockedscan-reuse", m->dir);
	/* 1. Page 0 gets a block, then its entry is dirtied through the mapping. */
	fill_pattern(buf, SZ_4K, SEED_FILE);
	if (pwrite(c->fd, buf, SZ_4K, 0) != (ssize_t)SZ_4K) {
		snprintf(why, whylen, "writing page 0: %s", strerror(errno));
		return;
	}
	map[0] ^= 0xff;
	for (i = 0; i < NR_VMAS; i++)
		__atomic_load_n(&ro[i][0], __ATOMIC_RELAXED);

	/* 2. fsync() at SCHED_IDLE on the busy CPU. */
	if (set_spin(c->cpu, true)) {
		snprintf(why, whylen, "the busy process does not answer");
		return;
	}
	pthread_mutex_lock(&c->lock);
	gen = ++c->fsync_gen;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);

	/*
	 * 3. Until its stack shows the flush of the entry, or it finished.
	 * The busy process gives up after SPIN_MAX_S, so this ends.
	 */
	while (!fsync_finished(c, gen) && atomic_load(&busy->spinning)) {
		in_wb = stack_has(c->fsync_tid, wb_sym);
		if (in_wb)
			break;
		usleep(1000);
	}
	if (!in_wb) {
		set_spin(c->cpu, false);
		ret = fsync_wait(c, gen);
		k->iters++;
		k->unseen++;
		if (ret)
			snprintf(why, whylen, "fsync: %s", strerror(-ret));
		return;
	}
	io_prep_pread(&cb, sfd, map, SZ_4K, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = io_submit(ctx, 1, cbs);
	if (ret != 1) {
		set_spin(c->cpu, false);
		fsync_wait(c, gen);
		snprintf(why, whylen, "io_submit: %s", strerror(ret < 0 ? -ret : EIO));
		return;
	}
	/* 4. The punch, and whether the flush still held the entry as it began. */
	in_window = stack_has(c->fsync_tid, wb_sym);
	ret = fallocate(c->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, SZ_4K);
	if (ret)
		ret = -errno;
	atomic_store(&busy->punch_done, 1);
	/* 6. Had the read completed when the punch returned? */
	if (io_getevents(ctx, 0, 1, &ev, &zero) == 1)
		reaped = true;
	early = !reaped;
	t_punch = ms_since(&t0);
	set_spin(c->cpu, false);
	t_busy = (busy->stopped.tv_sec - t0.tv_sec) * 1000 +
		 (busy->stopped.tv_nsec - t0.tv_nsec) / 1000000;
	k->iters++;
	k->window += in_window;
	k->left += !in_window;
	if (ret) {
		snprintf(why, whylen, "punch: %s", strerror(-ret));
		goto wait_read;
	}
	ret = fsync_wait(c, gen);
	if (ret) {
		snprintf(why, whylen, "fsync: %s", strerror(-ret));
		goto wait_read;
	}
	/*
	 * Commit the freeing, then write page 0 again (xfs aims its new block
	 * at the one before page 1's, the punched one) and give every other
	 * free block to another file.
	 */
	syncfs(c->fd);
	fill_pattern(buf, SZ_4K, SEED_REFILL);
	if (pwrite(c->fd, buf, SZ_4K, 0) != (ssize_t)SZ_4K) {
		snprintf(why, whylen, "writing page 0 again: %s", strerror(errno));
		goto wait_read;
	}
	filled = fill_free_space(reuse, buf);
	t_fill = ms_since(&t0);
	if (filled < 0)
		snprintf(why, whylen, "filling free space: %s", strerror(-filled));
wait_read:
	/* 120 s: far past the 2 s delay, only to report a read that never ends. */
	if (!reaped && io_getevents(ctx, 1, 1, &ev, &hang) == 1)
		reaped = true;
	if (!reaped || (long)ev.res != (long)SZ_4K) {
		if (!why[0])
			snprintf(why, whylen, "the slow read failed: %s",
				 reaped ? strerror(-(long)ev.res) : "no completion in 120 s");
		if (!reaped)
			io_getevents(ctx, 1, 1, &ev, NULL);
	}
	t_done = ms_since(&t0);
	if (!why[0]) {
		/* Page 0 of the file, written after the punch returned. */
		if (pread(c->fd, buf, SZ_4K, 0) != (ssize_t)SZ_4K)
			snprintf(why, whylen, "reading page 0: %s", strerror(errno));
		else if (!memcmp(buf, readpat, SZ_4K))
			landed = true;
		else if (check_pattern(buf, SZ_4K, SEED_REFILL) >= 0)
			snprintf(why, whylen, "page 0 lost what was written after the punch");
	}
	if (!why[0]) {
		bad = check_fill(reuse, filled, buf, readpat, &fill_landed);
		if (bad >= 0 && !fill_landed)
			snprintf(why, whylen,
				 "another file changed at byte %ld, not by the read's data",
				 bad);
	}
	/* The first iteration in the window, and the first that showed the bug. */
	if ((in_window && !k->window_shown) || ((early || landed || fill_landed) && !k->bug)) {
		ksft_print_msg("#%d: %s the window, the punch returned %s the read completed\n",
			       k->iters, in_window ? "in" : "outside", early ? "before" : "after");
		ksft_print_msg("#%d: ms from the read: punch done %ld, busy stopped %ld (%s)\n",
			       k->iters, t_punch, t_busy, busy_stop_name[busy->stop]);
		ksft_print_msg("#%d: ms from the read: refilled %ld, read completed %ld\n",
			       k->iters, t_fill, t_done);
		if (landed || fill_landed)
			ksft_print_msg("#%d: the read's data landed in %s\n", k->iters,
				       landed ? "page 0, written after the punch" :
				       "the file that filled the free space");
		k->window_shown |= in_window;
	}
	landed |= fill_landed;
	k->early += early;
	k->landed += landed;
	k->bug += early || landed;
	unlink(reuse);
	/* The refill left no room: let the next write find its block. */
	syncfs(c->fd);
}

static bool kernel_is(const char *list)
{
	const char *k = getenv("DAXGUP_KERNEL");
	char copy[64], *tok, *save;

	if (!k)
		return false;
	snprintf(copy, sizeof(copy), "%s", list);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, k))
			return true;
	return false;
}

static void run_mount(const struct dax_mount *m, const char *slow, int iters, int cpu_main,
		      int cpu_busy)
{
	char name[512], path[512], ballast[512], why[300] = "", counts[300];
	struct ctl c = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
		.fd = -1,
		.cpu = cpu_busy,
	};
	pthread_t ft;
	bool threads = false;
	struct counts k = { 0 };
	io_context_t ctx = 0;
	struct statvfs sv;
	uint8_t *map = NULL, **ro = calloc(NR_VMAS, sizeof(*ro));
	void *buf = anon_buf(2 * FILL_CHUNK), *readpat = anon_buf(SZ_4K);
	int sfd = -1, bfd = -1, i;
	cpu_set_t old;

	snprintf(name, sizeof(name),
		 "%s/%s/%s: a punch waits for DMA into a DAX page whose entry fsync holds locked",
		 m->fs, m->memmap, m->driver);
	snprintf(path, sizeof(path), "%s/lockedscan-file", m->dir);
	snprintf(ballast, sizeof(ballast), "%s/lockedscan-ballast", m->dir);
	sched_getaffinity(0, sizeof(old), &old);
	if (!ro || !buf || !readpat) {
		snprintf(why, sizeof(why), "out of memory");
		goto out;
	}
	/* The slow device holds what the read carries. */
	fill_pattern(readpat, SZ_4K, SEED_READ);
	i = direct_pwrite(slow, readpat, SZ_4K, 0);
	if (i) {
		snprintf(why, sizeof(why), "writing %s: %s", slow, strerror(-i));
		goto out;
	}
	fill_pattern(buf, FILE_LEN, SEED_FILE);
	c.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (c.fd < 0 || pwrite(c.fd, buf, FILE_LEN, 0) != (ssize_t)FILE_LEN || fsync(c.fd)) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
		goto out;
	}
	/* The read-only mappings first: the flush walks them before the DMA's. */
	for (i = 0; i < NR_VMAS; i++) {
		ro[i] = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, c.fd, 0);
		if (ro[i] == MAP_FAILED) {
			ro[i] = NULL;
			snprintf(why, sizeof(why), "mapping #%d: %s", i, strerror(errno));
			goto out;
		}
	}
	map = dax_map(c.fd, FILE_LEN, DAX_PTE);
	sfd = open(slow, O_RDONLY | O_DIRECT);
	if (!map || sfd < 0 || io_setup(1, &ctx)) {
		snprintf(why, sizeof(why), "map/open/io_setup: %s", strerror(errno));
		goto out;
	}
	/* Leave little free space, so the punched block gets reused. */
	bfd = open(ballast, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (bfd < 0 || fstatvfs(bfd, &sv) ||
	    (fallocate(bfd, 0, 0, (off_t)sv.f_bfree * sv.f_frsize - SPARE_FREE) &&
	     fallocate(bfd, 0, 0, (off_t)sv.f_bavail * sv.f_frsize - SPARE_FREE))) {
		snprintf(why, sizeof(why), "ballast: %s", strerror(errno));
		goto out;
	}
	close(bfd);
	bfd = -1;

	busy->pid = getpid();
	busy->tid = gettid_();
	if (pin_to(cpu_main)) {
		snprintf(why, sizeof(why), "sched_setaffinity: %s", strerror(errno));
		goto out;
	}
	if (pthread_create(&ft, NULL, fsync_thread, &c)) {
		snprintf(why, sizeof(why), "pthread_create failed");
		goto out;
	}
	threads = true;
	pthread_mutex_lock(&c.lock);
	while (!c.fsync_tid)
		pthread_cond_wait(&c.cond, &c.lock);
	pthread_mutex_unlock(&c.lock);
	if (c.fsync_ret) {
		snprintf(why, sizeof(why), "SCHED_IDLE on CPU %d: %s", cpu_busy,
			 strerror(-c.fsync_ret));
		goto out;
	}
	for (i = 0; i < iters && !why[0]; i++)
		one_iteration(&c, m, ctx, sfd, map, ro, buf, readpat, &k, why, sizeof(why));
out:
	if (threads) {
		pthread_mutex_lock(&c.lock);
		c.quit = true;
		pthread_cond_broadcast(&c.cond);
		pthread_mutex_unlock(&c.lock);
		pthread_join(ft, NULL);
	}
	sched_setaffinity(0, sizeof(old), &old);
	if (ctx)
		io_destroy(ctx);
	if (sfd >= 0)
		close(sfd);
	if (map)
		munmap(map, FILE_LEN);
	for (i = 0; ro && i < NR_VMAS && ro[i]; i++)
		munmap(ro[i], SZ_4K);
	if (c.fd >= 0)
		close(c.fd);
	if (bfd >= 0)
		close(bfd);
	unlink(path);
	unlink(ballast);
	free(ro);
	free(buf);
	free(readpat);

	i = snprintf(counts, sizeof(counts),
		     "%d iterations, %d in the window (%d missed it, %d left it before punching), ",
		     k.iters, k.window, k.unseen, k.left);
	snprintf(counts + i, sizeof(counts) - i,
		 "%d showed the bug (%d returned early, %d had the read land in a reused block)",
		 k.bug, k.early, k.landed);
	if (why[0]) {
		ksft_print_msg("%s (%s)\n", why, counts);
		ksft_test_result_fail("%s\n", name);
	} else if (k.bug && kernel_is("stock base")) {
		/* The punch freed the page under DMA: the kernel may warn. */
		allow_kernel_report(DAX_WARN_RE);
		ksft_test_result_xfail("%s: known bug on %s kernel: %s (%s)\n", name,
				       getenv("DAXGUP_KERNEL"), LOCKED_BUG, counts);
	} else if (k.bug) {
		ksft_print_msg("the punch freed a page under DMA: %s\n", counts);
		ksft_test_result_fail("%s (%s)\n", name, counts);
	} else if (!k.window) {
		ksft_test_result_skip("%s: the fsync never held the entry at the punch (%s)\n",
				      name, counts);
	} else if (kernel_is("stock base")) {
		ksft_print_msg("the window was hit, the known bug of the %s kernel did not show\n",
			       getenv("DAXGUP_KERNEL"));
		ksft_test_result_skip("%s: no evidence of the known bug (%s)\n", name, counts);
	} else {
		ksft_test_result_pass("%s (%s)\n", name, counts);
	}
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *slow = getenv("DAXGUP_SLOW");
	const char *it = getenv("DAXGUP_ITER");
	int n = dax_mounts(mounts, MAX_MOUNTS), iters, i, cpus[2], nr = 0;
	char buf[64];
	cpu_set_t set;
	pid_t parent;

	ksft_print_header();
	if (!n || !slow)
		ksft_exit_skip("no DAX filesystem or slow device (DAXGUP_MOUNTS, DAXGUP_SLOW)\n");
	iters = DEFAULT_ITERS * (it && atoi(it) > 0 ? atoi(it) : 1);
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_msg("sched_getaffinity: %s\n", strerror(errno));
	for (i = 0; i < CPU_SETSIZE && nr < 2; i++)
		if (CPU_ISSET(i, &set))
			cpus[nr++] = i;
	if (nr < 2)
		ksft_exit_skip("needs two CPUs: one kept busy for the fsync, one for the punch\n");
	/* The window is seen on the fsync thread's kernel stack. */
	if (read_task_file(getpid(), gettid_(), "stack", buf, sizeof(buf)) < 0)
		ksft_exit_skip("/proc/self/task/TID/stack: %s (CONFIG_STACKTRACE, root)\n",
			       strerror(errno));
	if (!kernel_has("dax_writeback_one", wb_sym, sizeof(wb_sym)) &&
	    !kernel_has("dax_writeback_mapping_range", wb_sym, sizeof(wb_sym)))
		ksft_exit_skip("no dax_writeback_one or _mapping_range in /proc/kallsyms\n");
	ksft_print_msg("%d iterations per mount; the window: %s on the fsync's stack\n",
		       iters, wb_sym);
	/* Before any file is mapped: the busy process must map none of them. */
	busy = mmap(NULL, sizeof(*busy), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	if (busy == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	fflush(stdout);
	parent = getpid();
	busy_pid = fork();
	if (busy_pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!busy_pid)
		busy_main(parent);
	ksft_set_plan(n);
	for (i = 0; i < n; i++)
		run_mount(&mounts[i], slow, iters, cpus[0], cpus[1]);
	atomic_store(&busy->quit, 1);
	waitpid(busy_pid, NULL, 0);
	ksft_finished();
}
