// SPDX-License-Identifier: GPL-2.0
/*
 * dax_vmsplice: a pipe that references DAX pages must neither keep the
 * blocks behind them from being freed nor see them after they were.
 *
 * vmsplice(2) of a MAP_SHARED mapping of a file on a DAX filesystem puts
 * references to the file's pmem pages into the pipe (iter_to_pipe() in
 * fs/splice.c); the pipe keeps them until it is read.  A child process
 * writes a 2 MiB file through its mapping (pattern A), vmsplices all of the
 * mapping into a pipe, and then frees the file's blocks:
 *
 *   close_self       munmap, unlink and close the file; the child is the
 *                    pipe's only holder and reads it afterwards
 *   close_other      munmap, unlink and close the file, then exit; the
 *                    parent holds the pipe's read end and reads it
 *   truncate_self    munmap, ftruncate(fd, 0), the file kept open; the
 *                    child is the pipe's only holder and reads it
 *   truncate_mapped  the same, but the file is unmapped only after the
 *                    truncate returned
 *
 * Once the call returned, the free space of the filesystem is written with
 * pattern R: a ballast file, made before the case, leaves little of it, and
 * a second file is written until ENOSPC after a sync() (ext4 and xfs reuse
 * freed blocks only once the freeing is committed), with ext4's
 * reserved_clusters set to 0 meanwhile, so the file's blocks, if they are
 * free, are reused.  Then the pipe is read.  Correct: the call returns at
 * once and the pipe returns pattern A, the file's data at vmsplice time.
 *
 * Two ways to get this wrong:
 *
 * - Freeing the blocks while the pipe still references their pages, as
 *   Debian's 6.12 does once the file is unmapped: the pipe then returns R,
 *   another file's data.  A known bug on DAXGUP_KERNEL=stock and base,
 *   reported as XFAIL with the number of pages that leaked, never as a
 *   pass: a pipe that returns A there means the case failed to show the
 *   bug, and it fails.  Truncating a DAX entry whose page is still
 *   referenced makes 6.12 warn in dax_disassociate_entry(): declared as
 *   the same bug's symptom.
 *
 * - Waiting for the pipe: truncate waiting for the page references
 *   (interruptibly), or eviction, the close of an unlinked file
 *   (uninterruptibly).  A process that holds the pipe itself then never
 *   gets past the call, and in close_self cannot even be killed (state D).
 *   6.12 does this in truncate_mapped (dax_layout_busy_page() finds the
 *   pages of a mapped file busy): the known bug of stock and base for that
 *   case, reported as XFAIL; it also exercises the hang handling on every
 *   run there.  The parent waits HANG_SECS for the call to return: far
 *   longer than it takes even under TCG (milliseconds), and short enough
 *   that every case of every filesystem hanging still fits the suite's
 *   timeout and the kernel's 120 s hung-task report does not fire.  That
 *   is hang detection, not a timed assertion.  The test then prints the
 *   process's state, wait channel and kernel stack, kills it, and drains
 *   the pipe (through /proc/PID/fd/N when the child holds it) so that it
 *   can finish; the case fails, unless it is the known bug.  Only if the
 *   process still does not end is it left behind, and the remaining cases
 *   of that filesystem are skipped.
 *
 * The whole file is spliced in one call: the pipe is grown to 2 MiB
 * (F_SETPIPE_SZ; root may go past pipe-max-size), so every page of the
 * file is referenced and every block the file frees is one the pipe could
 * leak.  64 KiB into a pipe of the default size would do for the hang,
 * but would leave 31/32 of the file unreferenced.
 *
 * Not checked: whether the pipe holds a copy taken at vmsplice time or the
 * page itself, i.e. whether a store through the mapping after vmsplice
 * shows in the pipe.  It does on 6.12, as it does for anonymous memory on
 * every kernel: vmsplice is zero-copy by design.  Copying is how a fix may
 * make the cases above pass, not a property users can rely on, so it is
 * no bug of 6.12 to report as XFAIL, and no requirement to hold a fix to.
 */
#include <poll.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "daxgup.h"

#define FILE_LEN	SZ_2M
#define NR_PAGES	(FILE_LEN / SZ_4K)
/* Free space the ballast leaves: room for the file, and little else. */
#define SPARE_FREE	(16UL << 20)
/* How long a call that frees the file's blocks may take before it is called a hang. */
#define HANG_SECS	30
/* How long the rest of a child's work (filling the free space) may take. */
#define CHILD_SECS	300

#define SEED_A		0xa11ce
#define SEED_R		0x6e3

/* Every 4 KiB block of the file that fills the free space starts with this. */
#define REUSE_MAGIC	"dxreuse"

struct reuse_hdr {
	char magic[8];
	uint64_t off;
};

#define LEAK_BUG \
	"6.12 frees the blocks of a DAX page that a pipe still references; the pipe returns another file's data"
#define HANG_BUG \
	"6.12 truncates a mapped DAX file only once no page of it is referenced, a page in a pipe included: the pipe's holder waits for itself"

enum outcome {
	OUT_PASS,	/* the call returned, the pipe returned A */
	OUT_LEAK,	/* the call returned, the pipe returned something else */
	OUT_HANG,	/* the call did not return until the pipe was drained */
	OUT_FAIL,	/* anything else: the case could not run, or the process stuck */
};

enum vcase { CLOSE_SELF, CLOSE_OTHER, TRUNCATE_SELF, TRUNCATE_MAPPED, NR_CASES };

static const struct {
	const char *name;
	const char *what;	/* what the child does after vmsplice */
	const char *call;	/* the call that frees the blocks */
	bool parent_reads;	/* the parent holds the read end, not the child */
	bool truncate;		/* ftruncate(0), not unlink + close */
	bool mapped;		/* the file stays mapped until the call returned */
	/* on stock and base: what the case shows, and the bug it is */
	enum outcome bug_out;
	const char *bug;
} cases[NR_CASES] = {
	[CLOSE_SELF] = { "close_self", "munmap, unlink, close; then reads the pipe itself",
			 "close", false, false, false, OUT_LEAK, LEAK_BUG },
	[CLOSE_OTHER] = { "close_other",
			  "munmap, unlink, close, exit; another process reads the pipe",
			  "close", true, false, false, OUT_LEAK, LEAK_BUG },
	[TRUNCATE_SELF] = { "truncate_self", "munmap, ftruncate(0); then reads the pipe itself",
			    "ftruncate", false, true, false, OUT_LEAK, LEAK_BUG },
	[TRUNCATE_MAPPED] = { "truncate_mapped",
			      "ftruncate(0), munmap; then reads the pipe itself",
			      "ftruncate", false, true, true, OUT_HANG, HANG_BUG },
};

/* What a child found, in memory it shares with the parent. */
struct result {
	enum outcome out;
	char why[768];
};

static bool bug_expected(void)
{
	const char *k = getenv("DAXGUP_KERNEL");

	return k && (!strcmp(k, "stock") || !strcmp(k, "base"));
}

/* Leave about SPARE_FREE bytes free on @m, in a file @path; 0 or -errno. */
static int make_ballast(const char *dir, const char *path)
{
	struct statvfs sv;
	off_t len;
	int fd, ret = 0;

	if (statvfs(dir, &sv))
		return -errno;
	len = (off_t)sv.f_bavail * sv.f_frsize - SPARE_FREE;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	if (len > 0 && fallocate(fd, 0, 0, len))
		ret = -errno;
	close(fd);
	return ret;
}

/* Pattern R for the 4 KiB block at @off of the file that fills the free space. */
static void reuse_block(void *blk, uint64_t off)
{
	struct reuse_hdr hdr = { .magic = REUSE_MAGIC, .off = off };

	fill_pattern(blk, SZ_4K, SEED_R ^ (uint32_t)(off / SZ_4K));
	memcpy(blk, &hdr, sizeof(hdr));
}

/*
 * ext4 keeps some clusters from everyone, root included (reserved_clusters:
 * 2 % of the filesystem, at most 4096 clusters), so writing until ENOSPC
 * leaves that many blocks free, and which ones is the allocator's choice:
 * in a first run, half of the file's.  The fill sets it to 0, and the case
 * puts the value it read before back.  Read (@set false) or write @val of
 * ext4 mount @m; nothing for other filesystems (*@val = -1).  0 or -errno.
 */
static int ext4_resv(const struct dax_mount *m, long long *val, bool set)
{
	char path[128], buf[32];
	int ret = 0;
	FILE *f;

	if (strcmp(m->fs, "ext4")) {
		if (!set)
			*val = -1;
		return 0;
	}
	snprintf(path, sizeof(path), "/sys/fs/ext4/%s/reserved_clusters", m->dev);
	f = fopen(path, set ? "w" : "r");
	if (!f)
		return -errno;
	if (set && fprintf(f, "%lld\n", *val) <= 0)
		ret = -EIO;
	if (!set && fgets(buf, sizeof(buf), f))
		*val = atoll(buf);
	else if (!set)
		ret = -EIO;
	if (fclose(f) && set && !ret)
		ret = -errno;
	return ret;
}

/*
 * Commit the freeing of the file's blocks, then write pattern R to a new
 * file @path until the filesystem is full.  0 with the bytes written in
 * @written, or -errno.
 */
static int fill_free_space(const struct dax_mount *m, const char *path, size_t *written)
{
	size_t chunk = 1UL << 20, off = 0, i;
	uint8_t *buf = anon_buf(chunk);
	struct statvfs sv;
	long long resv = 0;
	ssize_t n;
	int fd, ret;

	*written = 0;
	if (!buf)
		return -ENOMEM;
	ret = ext4_resv(m, &resv, true);
	if (ret) {
		free(buf);
		return ret;
	}
	/* statfs pushes xfs's deferred inode inactivation; sync commits the frees. */
	statvfs(m->dir, &sv);
	sync();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		for (i = 0; i < chunk; i += SZ_4K)
			reuse_block(buf + i, off + i);
		n = write(fd, buf, chunk);
		if (n < 0 && errno == ENOSPC && chunk > SZ_4K) {
			/* The last few blocks one at a time. */
			chunk = SZ_4K;
			continue;
		}
		if (n < 0) {
			if (errno != ENOSPC)
				ret = -errno;
			break;
		}
		if (!n)
			break;
		off += n;
		if ((size_t)n < chunk)
			chunk = SZ_4K;
	}
	close(fd);
	free(buf);
	*written = off;
	return ret;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Read the FILE_LEN bytes the pipe holds from @rfd and say what each 4 KiB
 * page of it is.  OUT_PASS if all of it is pattern A; otherwise OUT_LEAK
 * (or OUT_FAIL if the pipe is short), with what it held in @r->why.
 * @filled: how much of the free space was written with R, for the record.
 */
static void check_pipe(int rfd, size_t filled, struct result *r)
{
	uint8_t *buf = anon_buf(FILE_LEN), *ref = anon_buf(FILE_LEN);
	unsigned int nr_a = 0, nr_r = 0, nr_zero = 0, nr_other = 0;
	long first_r = -1, first_other = -1;
	uint64_t r_off = 0;
	size_t got = 0, pg;
	ssize_t n;

	if (!buf || !ref) {
		r->out = OUT_FAIL;
		snprintf(r->why, sizeof(r->why), "out of memory");
		goto out;
	}
	/* Everything was spliced before: never wait for more. */
	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
	while (got < FILE_LEN) {
		n = read(rfd, buf + got, FILE_LEN - got);
		if (n <= 0)
			break;
		got += n;
	}
	if (got < FILE_LEN) {
		r->out = OUT_FAIL;
		snprintf(r->why, sizeof(r->why), "the pipe returned %zu bytes of %lu: %s",
			 got, FILE_LEN, got ? "short" : strerror(errno));
		goto out;
	}
	fill_pattern(ref, FILE_LEN, SEED_A);
	for (pg = 0; pg < FILE_LEN; pg += SZ_4K) {
		const struct reuse_hdr *h = (const void *)(buf + pg);

		if (!memcmp(buf + pg, ref + pg, SZ_4K)) {
			nr_a++;
		} else if (!memcmp(h->magic, REUSE_MAGIC, sizeof(h->magic))) {
			if (first_r < 0) {
				first_r = pg;
				r_off = h->off;
			}
			nr_r++;
		} else if (all_zero(buf + pg, SZ_4K)) {
			nr_zero++;
		} else {
			if (first_other < 0)
				first_other = pg;
			nr_other++;
		}
	}
	if (nr_a == NR_PAGES) {
		r->out = OUT_PASS;
		snprintf(r->why, sizeof(r->why),
			 "the pipe returned the file's data (A) in all %lu pages; %zu MiB of free space were written with R",
			 NR_PAGES, filled >> 20);
		goto out;
	}
	r->out = OUT_LEAK;
	n = snprintf(r->why, sizeof(r->why),
		     "of the %lu pages the pipe returned, %u hold the file's data (A), %u another file's (R), %u zeros, %u something else",
		     NR_PAGES, nr_a, nr_r, nr_zero, nr_other);
	if (first_r >= 0)
		n += snprintf(r->why + n, sizeof(r->why) - n,
			      "; the first R page at pipe byte %ld is that file's byte %llu",
			      first_r, (unsigned long long)r_off);
	if (first_other >= 0)
		n += snprintf(r->why + n, sizeof(r->why) - n,
			      "; the first other page at pipe byte %ld", first_other);
	snprintf(r->why + n, sizeof(r->why) - n, " (%zu MiB of free space written with R)",
		 filled >> 20);
out:
	free(buf);
	free(ref);
}

/*
 * The child: everything up to the call that frees the blocks, and for the
 * self cases what follows.  Writes a byte to @status_w once that call
 * returned.  Never returns.
 */
static void child(int c, const struct dax_mount *m, const char *victim, const char *reuse,
		  const int pipefd[2], int status_w, struct result *r)
{
	struct iovec iov;
	size_t filled;
	ssize_t n;
	void *map;
	int fd, ret;

	r->out = OUT_FAIL;
	if (cases[c].parent_reads)
		close(pipefd[0]);
	fd = open(victim, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, FILE_LEN)) {
		snprintf(r->why, sizeof(r->why), "creating %s: %s", victim, strerror(errno));
		_exit(1);
	}
	map = dax_map(fd, FILE_LEN, DAX_PMD);
	if (!map) {
		snprintf(r->why, sizeof(r->why), "mapping %s: %s", victim, strerror(errno));
		_exit(1);
	}
	/* Stores through the mapping: the write faults allocate the blocks. */
	fill_pattern(map, FILE_LEN, SEED_A);
	iov.iov_base = map;
	iov.iov_len = FILE_LEN;
	n = vmsplice(pipefd[1], &iov, 1, SPLICE_F_NONBLOCK);
	if (n != (ssize_t)FILE_LEN) {
		snprintf(r->why, sizeof(r->why), "vmsplice of the mapping: %s",
			 n < 0 ? strerror(errno) : "short");
		_exit(1);
	}
	close(pipefd[1]);
	if (!cases[c].mapped)
		munmap(map, FILE_LEN);
	if (cases[c].truncate) {
		ret = ftruncate(fd, 0);
	} else {
		ret = unlink(victim);
		if (!ret)
			ret = close(fd);
	}
	if (ret) {
		snprintf(r->why, sizeof(r->why), "%s: %s", cases[c].call, strerror(errno));
		_exit(1);
	}
	if (cases[c].mapped)
		munmap(map, FILE_LEN);
	if (write(status_w, "r", 1) != 1)
		_exit(1);
	if (cases[c].parent_reads)
		_exit(0);
	ret = fill_free_space(m, reuse, &filled);
	if (ret) {
		snprintf(r->why, sizeof(r->why), "filling the free space: %s", strerror(-ret));
		_exit(1);
	}
	check_pipe(pipefd[0], filled, r);
	_exit(0);
}

/* Print what @pid is doing: state, wait channel, kernel stack.  Returns the state. */
static char describe_task(pid_t pid)
{
	char path[64], line[256], state = '?', *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f)) {
		/* "pid (comm) S ...": comm may hold anything, so from its last ')' */
		p = strrchr(line, ')');
		if (p && p[1] == ' ')
			state = p[2];
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	f = fopen(path, "r");
	if (!f || !fgets(line, sizeof(line), f))
		snprintf(line, sizeof(line), "?");
	if (f)
		fclose(f);
	ksft_print_msg("process %d: state %c, wchan %s\n", pid, state, line);
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	f = fopen(path, "r");
	if (!f) {
		ksft_print_msg("  (no %s: %s)\n", path, strerror(errno));
		return state;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ksft_print_msg("  %s\n", line);
	}
	fclose(f);
	return state;
}

/* Wait up to @secs for @pid to exit; true (with its @status) if it did. */
static bool wait_exit(pid_t pid, int secs, int *status)
{
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

/* Read and drop whatever the pipe holds; the bytes read. */
static size_t drain(int rfd)
{
	static char buf[64 << 10];
	size_t total = 0;
	ssize_t n;

	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
	while ((n = read(rfd, buf, sizeof(buf))) > 0)
		total += n;
	return total;
}

/*
 * The call did not return: say what the child does, kill it (pending until
 * the call returns, if it waits uninterruptibly), drain the pipe so that
 * the call can return.  false if the child still did not exit: it is left.
 */
static bool rescue(int c, pid_t pid, int rfd_parent, int rfd_child, struct result *r)
{
	char path[64], state;
	const char *how;
	size_t drained;
	int status, rfd;

	ksft_print_msg("%s: %s did not return within %d s\n", cases[c].name, cases[c].call,
		       HANG_SECS);
	state = describe_task(pid);
	kill(pid, SIGKILL);
	if (rfd_parent >= 0) {
		drained = drain(rfd_parent);
	} else {
		/*
		 * The child holds the only read end: open it through procfs.
		 * A child that SIGKILL ended already has no fds left (ENOENT).
		 */
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, rfd_child);
		rfd = open(path, O_RDONLY | O_NONBLOCK);
		drained = rfd < 0 ? 0 : drain(rfd);
		if (rfd < 0 && errno != ENOENT)
			ksft_print_msg("opening %s: %s\n", path, strerror(errno));
		if (rfd >= 0)
			close(rfd);
	}
	how = state == 'D' ? "uninterruptibly, so unkillable" : "in a killable sleep";
	if (wait_exit(pid, HANG_SECS, &status)) {
		snprintf(r->why, sizeof(r->why),
			 "%s did not return in %d s: it waited (state %c, %s) for the pipe's references to the file's pages; it ended once sent SIGKILL with the pipe drained (%zu bytes)",
			 cases[c].call, HANG_SECS, state, how, drained);
		return true;
	}
	snprintf(r->why, sizeof(r->why),
		 "%s did not return in %d s: it waited (state %c, %s) for the pipe's references to the file's pages; sent SIGKILL with the pipe drained (%zu bytes), it still did not end, and is left behind",
		 cases[c].call, HANG_SECS, state, how, drained);
	describe_task(pid);
	return false;
}

/* Run case @c on @m; false if it left a process behind that it could not end. */
static bool run_case(const struct dax_mount *m, int c)
{
	char name[512], victim[512], ballast[512], reuse[512];
	struct result *r;
	int pipefd[2] = { -1, -1 }, st[2] = { -1, -1 }, child_rfd;
	bool alive = false;
	struct pollfd pfd;
	size_t filled;
	long long resv = -1;
	pid_t pid = -1;
	int status = 0, ret;
	char byte;

	snprintf(name, sizeof(name), "%s/%s/%s: %s: vmsplice of a DAX mapping into a pipe, then %s",
		 m->fs, m->memmap, m->driver, cases[c].name, cases[c].what);
	snprintf(victim, sizeof(victim), "%s/vmsplice-file", m->dir);
	snprintf(ballast, sizeof(ballast), "%s/vmsplice-ballast", m->dir);
	snprintf(reuse, sizeof(reuse), "%s/vmsplice-reuse", m->dir);

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		ksft_print_msg("mmap: %s\n", strerror(errno));
		ksft_test_result_fail("%s\n", name);
		return true;
	}
	r->out = OUT_FAIL;
	r->why[0] = '\0';
	ret = ext4_resv(m, &resv, false);
	if (ret) {
		snprintf(r->why, sizeof(r->why), "ext4's reserved_clusters of %s: %s", m->dev,
			 strerror(-ret));
		resv = -1;
		goto out;
	}
	ret = make_ballast(m->dir, ballast);
	if (ret) {
		snprintf(r->why, sizeof(r->why), "ballast: %s", strerror(-ret));
		goto out;
	}
	if (pipe(pipefd) || pipe(st)) {
		snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
		goto out;
	}
	/* All of the file in one vmsplice: 512 buffers of one page. */
	ret = fcntl(pipefd[1], F_SETPIPE_SZ, FILE_LEN);
	if (ret < (int)FILE_LEN) {
		snprintf(r->why, sizeof(r->why), "F_SETPIPE_SZ %lu: %s", FILE_LEN,
			 ret < 0 ? strerror(errno) : "smaller");
		goto out;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		close(st[0]);
		child(c, m, victim, reuse, pipefd, st[1], r);
	}
	alive = true;
	close(st[1]);
	st[1] = -1;
	close(pipefd[1]);
	pipefd[1] = -1;
	child_rfd = pipefd[0];
	if (!cases[c].parent_reads) {
		/* The child alone holds the pipe; its fd numbers are ours. */
		close(pipefd[0]);
		pipefd[0] = -1;
	}

	/* Hang detection: the call takes milliseconds; see the top of this file. */
	pfd.fd = st[0];
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, HANG_SECS * 1000);
	if (ret == 0) {
		alive = !rescue(c, pid, pipefd[0], child_rfd, r);
		r->out = alive ? OUT_FAIL : OUT_HANG;
		goto out;
	}
	if (ret < 0) {
		snprintf(r->why, sizeof(r->why), "poll: %s", strerror(errno));
		kill(pid, SIGKILL);
		alive = !wait_exit(pid, HANG_SECS, &status);
		r->out = OUT_FAIL;
		goto out;
	}
	if (read(st[0], &byte, 1) != 1) {
		/* The child ended before the call returned: r->why says why. */
		waitpid(pid, &status, 0);
		alive = false;
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), "the child ended (status %#x) before %s",
				 status, cases[c].call);
		r->out = OUT_FAIL;
		goto out;
	}
	/* The call returned; now the child fills the free space and reads the pipe, or exits. */
	if (!wait_exit(pid, CHILD_SECS, &status)) {
		ksft_print_msg("%s returned, but the child did not finish in %d s\n",
			       cases[c].call, CHILD_SECS);
		describe_task(pid);
		kill(pid, SIGKILL);
		alive = !wait_exit(pid, HANG_SECS, &status);
		snprintf(r->why, sizeof(r->why), "the child hung after %s returned", cases[c].call);
		if (alive)
			strcat(r->why, ", and SIGKILL did not end it");
		r->out = OUT_FAIL;
		goto out;
	}
	alive = false;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), "the child ended with status %#x", status);
		r->out = OUT_FAIL;
		goto out;
	}
	if (cases[c].parent_reads) {
		ret = fill_free_space(m, reuse, &filled);
		if (ret) {
			snprintf(r->why, sizeof(r->why), "filling the free space: %s",
				 strerror(-ret));
			r->out = OUT_FAIL;
			goto out;
		}
		check_pipe(pipefd[0], filled, r);
	}
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (st[0] >= 0)
		close(st[0]);
	if (st[1] >= 0)
		close(st[1]);
	unlink(victim);
	unlink(reuse);
	unlink(ballast);
	ret = resv >= 0 ? ext4_resv(m, &resv, true) : 0;
	if (ret) {
		ksft_print_msg("putting ext4's reserved_clusters of %s back to %lld: %s\n",
			       m->dev, resv, strerror(-ret));
		r->out = OUT_FAIL;
	}

	if (r->out == OUT_PASS && bug_expected()) {
		ksft_print_msg("%s\n", r->why);
		ksft_print_msg("the %s kernel has the known bug (%s), but this case did not show it\n",
			       getenv("DAXGUP_KERNEL"), cases[c].bug);
		ksft_test_result_fail("%s\n", name);
	} else if (r->out == OUT_PASS) {
		ksft_test_result_pass("%s\n", name);
	} else if (r->out == cases[c].bug_out && bug_expected()) {
		ksft_print_msg("%s\n", r->why);
		/* 6.12 warns when a truncate drops an entry whose page is referenced. */
		if (r->out == OUT_LEAK)
			allow_kernel_report("fs/dax\\.c:[0-9]+ dax_disassociate_entry");
		ksft_test_result_xfail("%s: known bug on %s kernel: %s\n", name,
				       getenv("DAXGUP_KERNEL"), cases[c].bug);
	} else {
		ksft_print_msg("%s\n", r->why);
		ksft_test_result_fail("%s\n", name);
	}
	munmap(r, sizeof(*r));
	return !alive;
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	int n = dax_mounts(mounts, MAX_MOUNTS), i, c;
	bool ok;

	ksft_print_header();
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	ksft_set_plan(n * NR_CASES);
	for (i = 0; i < n; i++) {
		ok = true;
		for (c = 0; c < NR_CASES; c++) {
			if (ok) {
				ok = run_case(&mounts[i], c);
				continue;
			}
			ksft_test_result_skip("%s/%s/%s: %s: an earlier case left a process stuck on this filesystem\n",
					      mounts[i].fs, mounts[i].memmap, mounts[i].driver,
					      cases[c].name);
		}
	}
	ksft_finished();
}
