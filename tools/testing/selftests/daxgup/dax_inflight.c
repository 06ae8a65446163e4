// SPDX-License-Identifier: GPL-2.0
/*
 * dax_inflight: a filesystem must not free the blocks behind a DAX page
 * while DMA into that page is still in flight.
 *
 * An asynchronous O_DIRECT read (libaio) of 2 MiB from a slow device
 * (dm-delay, DAXGUP_SLOW) into a MAP_SHARED mapping of a 2 MiB file on a
 * DAX filesystem pins the file's pages when it is submitted, and keeps them
 * pinned for the whole delay.  Meanwhile the test changes the file's layout:
 *
 *   truncate_mapped   ftruncate(0) with the file still mapped
 *   truncate          munmap, then ftruncate(0)
 *   punch             munmap, then FALLOC_FL_PUNCH_HOLE over the file
 *   collapse_range    munmap, then FALLOC_FL_COLLAPSE_RANGE of its first half
 *   insert_range      munmap, then FALLOC_FL_INSERT_RANGE at its start
 *   zero_range        munmap, then FALLOC_FL_ZERO_RANGE over the file
 *   clone_onto        munmap, then FICLONERANGE of another file onto it
 *   dedupe_onto       munmap, then FIDEDUPERANGE of an equal file onto it
 *   unlink_close      munmap, unlink, close: the last reference goes
 *   truncate_extend   munmap, then ftruncate to twice the size
 *   clone_from        munmap, then FICLONERANGE of it onto another file
 *   dedupe_from       munmap, then FIDEDUPERANGE of it onto an equal file
 *   swapext           munmap, then XFS_IOC_SWAPEXT with a donor file
 *   exchange_range    munmap, then XFS_IOC_EXCHANGE_RANGE with a donor file
 *   exchange_mixed    XFS_IOC_EXCHANGE_RANGE with a donor that is not DAX,
 *                     the file still mapped: the filesystem is mounted
 *                     with dax=inode for it, the file made DAX by the
 *                     FS_XFLAG_DAX of its directory, the donor not
 *   swap_boot         munmap, then EXT4_IOC_SWAP_BOOT: the file's blocks go
 *                     to the boot loader inode (inode 5; ext4)
 *   exchange_busy_second
 *                     XFS_IOC_EXCHANGE_RANGE from a thread, the file still
 *                     mapped and of a higher inode number than the donor:
 *                     xfs locks the two in inode order and handles a busy
 *                     page of the second one apart.  Run twice: waiting,
 *                     and interrupted by SIGUSR1 (see below)
 *   cow_write         the DMA is an O_DIRECT write from the mapping to a
 *                     device whose writes are slow (DAXGUP_SLOW_WRITE), of
 *                     a file sharing its blocks with another (FICLONE; xfs):
 *                     write(2) over the file moves it to new blocks
 *                     (copy-on-write), then the other file, the old blocks'
 *                     only owner now, is written to in place
 *   umount            munmap, close, umount(2) the filesystem; mounted again
 *
 * An operation the filesystem does not offer (ext4 has no reflink, the
 * xfs ioctls are xfs's) is reported as SKIP with the filesystem's answer,
 * or, for the cases written for one filesystem, with that reason.
 *
 * Once the operation returned, the test syncs (so the freed blocks may be
 * reused) and writes a pattern over all the filesystem's free space (a
 * ballast file keeps that small, so the freed blocks are among it).
 * Correct: the layout change returns only after the read completed, and
 * when the read lands no other file changes.
 * "Completed" is the read's completion event: the block layer posts it
 * before it unpins the last pages, so a layout change that waited for the
 * pages to go idle always finds it posted.  No timing is involved.
 *
 * Some operations free nothing of the file, or give its blocks to another
 * file of the test rather than to the free space; they get checks of their
 * own once the read completed:
 *
 *   truncate_extend   the read's data is in the file itself.  Extending
 *                     frees nothing, so it may return before the read
 *                     completed.  The file is unmapped first: with a
 *                     mapping, xfs and ext4 wait for the pinned pages on
 *                     every size change, on any kernel, and the case would
 *                     show nothing; without one, 6.12 does not look for
 *                     busy pages, so the extension runs under the DMA.
 *   clone_from        a clone is a snapshot: the destination, read when the
 *                     clone returned, holds the read's data, and still does
 *                     when the read completed.  A clone that did not wait
 *                     shares blocks the DMA changes afterwards.
 *   dedupe_from       the destination keeps its content.  A dedupe that did
 *                     not wait finds both files equal and shares the blocks
 *                     the DMA then changes; one that waited finds them
 *                     different and shares nothing.
 *   swapext,          the donor, which now owns the file's old blocks, is
 *   exchange_range,   overwritten with a fresh pattern as soon as the
 *   exchange_mixed    exchange returned; the pattern must still be there
 *                     when the read completed (read with O_DIRECT, past
 *                     the page cache of a donor that is not DAX).
 *   umount            the filesystem is mounted again at once; when the
 *                     read completed, the file holds its data.
 *   swap_boot         the boot loader inode gets the file's blocks, and the
 *                     file the boot loader's (none on a fresh filesystem).
 *                     To make those blocks a file's again, a second file is
 *                     swapped with the boot loader inode as soon as the
 *                     first swap returned; then it is the donor above.
 *   exchange_busy_second
 *                     6.12 drops both locks and retries at once, without
 *                     sleeping or looking at signals, for as long as the
 *                     second inode has a pinned page.  The thread's CPU
 *                     time (CLOCK_THREAD_CPUTIME_ID) during the ioctl must
 *                     be under half its wall time: a sleeping wait uses
 *                     next to none, a spinning one all of it.  In the
 *                     second run the thread gets SIGUSR1 (handler without
 *                     SA_RESTART) half a second into the wait: the
 *                     interruptible wait's -ERESTARTSYS becomes EINTR, which
 *                     the ioctl must return before the read completed, with
 *                     nothing exchanged (the donor keeps its data, the file
 *                     gets the read's).  An exchange that was not
 *                     interrupted gets the donor check.
 *   cow_write         the DMA writes nothing to pmem here; what the device
 *                     got must be the file's data from before write(2),
 *                     never what was written to the other file afterwards.
 *                     (Written in place rather than freed and reused: xfs
 *                     frees an unlinked file's blocks in the background,
 *                     and its allocator need not pick them for the filler,
 *                     so a reuse would show the bug only by chance.)
 *
 * And two checks without DMA, on ext4:
 *   move_ext          EXT4_IOC_MOVE_EXT refuses a DAX original file
 *   move_ext_donor    and a DAX donor (EOPNOTSUPP): the filesystem is
 *                     mounted with dax=inode, the donor made DAX by its
 *                     directory's FS_XFLAG_DAX, the original not.  Moving
 *                     the blocks of a donor would hand a pinned DAX page's
 *                     block to the original.  (Showing that with DMA would
 *                     need ext4 to put page cache folios into the donor's
 *                     DAX mapping over its pinned entries: not attempted.)
 *
 * Cases that are a known bug of the kernel under test (DAXGUP_KERNEL) are
 * reported as XFAIL with the bug named, never as a pass.
 */
#include <libaio.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "daxgup.h"

#define VICTIM_LEN	SZ_2M
#define SPARE_FREE	(16UL << 20)

enum layout_op {
	OP_TRUNCATE_MAPPED, OP_TRUNCATE, OP_PUNCH, OP_COLLAPSE, OP_INSERT,
	OP_ZERO, OP_CLONE_DEST, OP_DEDUPE_DEST, OP_UNLINK_CLOSE, OP_TRUNCATE_EXTEND,
	OP_CLONE_SRC, OP_DEDUPE_SRC, OP_SWAPEXT, OP_EXCHANGE, OP_EXCHANGE_MIXED,
	OP_SWAP_BOOT, OP_EXCHANGE_BUSY, OP_COW_WRITE, OP_MOVE_EXT_DONOR,
	OP_UMOUNT, NR_OPS
};

/* Pattern seeds: what the read carries, the victim before it, the others. */
#define SEED_READ	0xd7a
#define SEED_VICTIM	0xf11e
#define SEED_PEER	0xc10e
#define SEED_FRESH	0x5a9
#define SEED_REUSE	0x6e3

/* From fs/xfs/libxfs/xfs_fs.h: the installed headers may lack them. */
struct daxgup_xfs_bstime {
	__kernel_long_t tv_sec;
	__s32 tv_nsec;
};

struct daxgup_xfs_bstat {
	__u64 bs_ino;
	__u16 bs_mode;
	__u16 bs_nlink;
	__u32 bs_uid;
	__u32 bs_gid;
	__u32 bs_rdev;
	__s32 bs_blksize;
	__s64 bs_size;
	struct daxgup_xfs_bstime bs_atime;
	struct daxgup_xfs_bstime bs_mtime;
	struct daxgup_xfs_bstime bs_ctime;
	int64_t bs_blocks;
	__u32 bs_xflags;
	__s32 bs_extsize;
	__s32 bs_extents;
	__u32 bs_gen;
	__u16 bs_projid_lo;
	__u16 bs_forkoff;
	__u16 bs_projid_hi;
	uint16_t bs_sick;
	uint16_t bs_checked;
	unsigned char bs_pad[2];
	__u32 bs_cowextsize;
	__u32 bs_dmevmask;
	__u16 bs_dmstate;
	__u16 bs_aextents;
};

struct daxgup_xfs_swapext {
	int64_t sx_version;
	int64_t sx_fdtarget;
	int64_t sx_fdtmp;
	int64_t sx_offset;
	int64_t sx_length;
	char sx_pad[16];
	struct daxgup_xfs_bstat sx_stat;
};

struct daxgup_xfs_exchange_range {
	__s32 file1_fd;
	__u32 pad;
	__u64 file1_offset;
	__u64 file2_offset;
	__u64 length;
	__u64 flags;
};

#define DAXGUP_XFS_IOC_SWAPEXT		_IOWR('X', 109, struct daxgup_xfs_swapext)
#define DAXGUP_XFS_IOC_EXCHANGE_RANGE	_IOW('X', 129, struct daxgup_xfs_exchange_range)

#define UNMAPPED_BUG \
	"6.12: dax_layout_busy_page_range() skips unmapped files, blocks freed under DMA"

static void check_move_ext_donor(const struct dax_mount *m, int op);

static const struct {
	const char *name;
	bool unmap_first;
	/* nothing is freed or moved: returning before the read completed is fine */
	bool may_return_early;
	/* kernels on which this case shows a known bug, and which */
	const char *broken_on;
	const char *bug;
	/* the file's blocks go to a donor, written afresh once the op returned */
	bool donor;
	/* the only filesystem with this operation, if it has one */
	const char *only_fs;
	/* runs per iteration (results); 0 is 1 */
	int variants;
	/* a check without DMA, run once per filesystem instead of run_case() */
	void (*check)(const struct dax_mount *m, int op);
} ops[NR_OPS] = {
	[OP_TRUNCATE_MAPPED] = { "truncate_mapped", false, false, "", "" },
	[OP_TRUNCATE] = { "truncate", true, false, "stock base", UNMAPPED_BUG },
	[OP_PUNCH] = { "punch", true, false, "stock base", UNMAPPED_BUG },
	[OP_COLLAPSE] = { "collapse_range", true, false, "stock base", UNMAPPED_BUG },
	[OP_INSERT] = { "insert_range", true, false, "stock base", UNMAPPED_BUG },
	[OP_ZERO] = { "zero_range", true, false, "stock base", UNMAPPED_BUG },
	[OP_CLONE_DEST] = { "clone_onto", true, false, "stock base", UNMAPPED_BUG },
	[OP_DEDUPE_DEST] = { "dedupe_onto", true, false, "stock base", UNMAPPED_BUG },
	[OP_UNLINK_CLOSE] = { "unlink_close", true, false, "stock base",
		"6.12: inode eviction frees DAX blocks without waiting for pinned pages" },
	[OP_TRUNCATE_EXTEND] = { "truncate_extend", true, true, "", "" },
	[OP_CLONE_SRC] = { "clone_from", true, false, "stock base", UNMAPPED_BUG },
	[OP_DEDUPE_SRC] = { "dedupe_from", true, false, "stock base", UNMAPPED_BUG },
	[OP_SWAPEXT] = { "swapext", true, false, "stock base",
		"6.12: XFS_IOC_SWAPEXT swaps extents without waiting for pinned DAX pages",
		.donor = true },
	[OP_EXCHANGE] = { "exchange_range", true, false, "stock base", UNMAPPED_BUG,
		.donor = true },
	[OP_EXCHANGE_MIXED] = { "exchange_mixed", false, false, "stock base",
		"6.12: xfs breaks DAX layouts for a remap only when both inodes are DAX",
		.donor = true },
	[OP_SWAP_BOOT] = { "swap_boot", true, false, "stock base",
		"6.12: EXT4_IOC_SWAP_BOOT swaps blocks without waiting for pinned DAX pages",
		.donor = true, .only_fs = "ext4" },
	[OP_EXCHANGE_BUSY] = { "exchange_busy_second", false, false, "stock base",
		"6.12: xfs spins while the second inode has a pinned DAX page",
		.donor = true, .only_fs = "xfs", .variants = 2 },
	[OP_COW_WRITE] = { "cow_write", false, false, "stock base",
		"6.12: a DAX copy-on-write write(2) moves the file without waiting for pinned pages",
		.only_fs = "xfs" },
	[OP_MOVE_EXT_DONOR] = { "move_ext_donor", false, false, "stock base",
		"6.12: EXT4_IOC_MOVE_EXT refuses a DAX original but moves a DAX donor's blocks",
		.only_fs = "ext4", .check = check_move_ext_donor },
	[OP_UMOUNT] = { "umount", true, false, "stock base",
		"6.12: inode eviction drops pinned DAX entries without waiting for them" },
};

/* FICLONERANGE or FIDEDUPERANGE of all of @src onto @dst; 0 or -1. */
static int remap_onto(bool clone, int src, int dst)
{
	struct file_clone_range cr = { .src_fd = src, .src_length = VICTIM_LEN };
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} dd = {
		.r = { .src_length = VICTIM_LEN, .dest_count = 1 },
		.info = { .dest_fd = dst },
	};

	if (clone)
		return ioctl(dst, FICLONERANGE, &cr);
	if (ioctl(src, FIDEDUPERANGE, &dd))
		return -1;
	/*
	 * A filesystem that waited for the DMA before comparing finds the
	 * files different and shares nothing: that is correct too.
	 */
	if (dd.info.status == FILE_DEDUPE_RANGE_DIFFERS)
		return 0;
	if (dd.info.status != FILE_DEDUPE_RANGE_SAME ||
	    dd.info.bytes_deduped != VICTIM_LEN) {
		errno = dd.info.status < 0 ? -dd.info.status : EBADE;
		return -1;
	}
	return 0;
}

/*
 * Has the read completed?  Reaps its event if so; never blocks.  Called by
 * exchange_busy_second's thread too, hence the lock.
 */
static bool read_done(io_context_t ctx, struct io_event *ev, bool *reaped)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec now = { 0, 0 };
	bool done;

	pthread_mutex_lock(&lock);
	if (!*reaped && io_getevents(ctx, 0, 1, ev, &now) == 1)
		*reaped = true;
	done = *reaped;
	pthread_mutex_unlock(&lock);
	return done;
}

static bool known_bug(int op)
{
	const char *k = getenv("DAXGUP_KERNEL");
	char list[64], *tok, *save;

	if (!k)
		return false;
	snprintf(list, sizeof(list), "%s", ops[op].broken_on);
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, k))
			return true;
	return false;
}

/* Write @len bytes of pattern @seed over @path, opened with @flags; 0 or -errno. */
static int fill_file(const char *path, size_t len, uint32_t seed, int flags)
{
	size_t chunk = SZ_2M, off;
	void *buf = anon_buf(chunk);
	int fd, ret = 0;

	fd = open(path, O_RDWR | flags, 0600);
	if (fd < 0 || !buf) {
		ret = -errno;
		goto out;
	}
	for (off = 0; off < len; off += chunk) {
		fill_pattern(buf, chunk, seed + off / chunk);
		if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk) {
			ret = -errno;
			break;
		}
	}
	if (!ret && fsync(fd))
		ret = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* A new file @path of @len bytes of pattern @seed; 0 or -errno. */
static int write_file(const char *path, size_t len, uint32_t seed)
{
	return fill_file(path, len, seed, O_CREAT | O_TRUNC);
}

/* Offset of the first chunk of @path that lost its pattern, or -1. */
static long check_file(const char *path, size_t len, uint32_t seed)
{
	size_t chunk = SZ_2M, off;
	void *buf = anon_buf(chunk);
	long bad = -1;
	int fd = open(path, O_RDONLY);

	for (off = 0; fd >= 0 && buf && off < len; off += chunk) {
		if (pread(fd, buf, chunk, off) != (ssize_t)chunk ||
		    check_pattern(buf, chunk, seed + off / chunk) >= 0) {
			bad = off;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return bad;
}

/*
 * The first VICTIM_LEN bytes of @path into @buf (page aligned), as the
 * medium holds them: a file that is not DAX may have them cached.
 */
static int read_head(const char *path, void *buf)
{
	int fd = open(path, O_RDONLY | O_DIRECT);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, VICTIM_LEN, 0);
	close(fd);
	return n == (ssize_t)VICTIM_LEN ? 0 : (n < 0 ? -errno : -EIO);
}

/* A pattern seed and what a buffer holding that pattern holds. */
struct seed_meaning {
	uint32_t seed;
	const char *what;
};

/* Which of @n known patterns @buf holds, in words. */
static const char *pattern_is(const void *buf, const struct seed_meaning *known, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (check_pattern(buf, VICTIM_LEN, known[i].seed) < 0)
			return known[i].what;
	return "something else";
}

/* What a buffer that is not the expected pattern holds instead. */
static const char *head_is(const void *buf)
{
	static const struct seed_meaning known[] = {
		{ SEED_READ, "the read's data" },
		{ SEED_VICTIM, "the file's data from before the read" },
		{ SEED_PEER, "its own data from before the operation" },
	};

	return pattern_is(buf, known, ARRAY_SIZE(known));
}

/* XFS_IOC_SWAPEXT of all of @target with @donor, of the same size; 0 or -1. */
static int swapext(int target, int donor)
{
	struct daxgup_xfs_swapext sx = {
		.sx_fdtarget = target,
		.sx_fdtmp = donor,
		.sx_length = VICTIM_LEN,
	};
	struct stat st;

	/*
	 * xfs swaps only if the target's times are those passed in: the
	 * pinning write faults of the read updated them, so take them now.
	 */
	if (fstat(target, &st))
		return -1;
	sx.sx_stat.bs_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.sx_stat.bs_mtime.tv_nsec = st.st_mtim.tv_nsec;
	sx.sx_stat.bs_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.sx_stat.bs_ctime.tv_nsec = st.st_ctim.tv_nsec;
	return ioctl(target, DAXGUP_XFS_IOC_SWAPEXT, &sx);
}

/* XFS_IOC_EXCHANGE_RANGE of all of @file2 with @file1; 0 or -1. */
static int exchange_range(int file2, int file1)
{
	struct daxgup_xfs_exchange_range xr = {
		.file1_fd = file1,
		.length = VICTIM_LEN,
	};

	return ioctl(file2, DAXGUP_XFS_IOC_EXCHANGE_RANGE, &xr);
}

/* exchange_busy_second: the exchange, run by a thread of its own. */
struct exchanger {
	int file2, file1;
	io_context_t ctx;
	struct io_event *ev;
	bool *reaped;
	bool started;		/* about to enter the ioctl */
	bool late_signal;	/* the read had completed when SIGUSR1 went out */
	int ret, err;
	bool done_at_return;	/* the read had completed when it returned */
	long cpu_ms, wall_ms;
};

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void *exchanger_run(void *arg)
{
	struct exchanger *x = arg;
	struct timespec c0, c1, w0, w1;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	clock_gettime(CLOCK_MONOTONIC, &w0);
	__atomic_store_n(&x->started, true, __ATOMIC_RELEASE);
	x->ret = exchange_range(x->file2, x->file1);
	x->err = errno;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	x->done_at_return = read_done(x->ctx, x->ev, x->reaped);
	x->cpu_ms = ms_between(&c0, &c1);
	x->wall_ms = ms_between(&w0, &w1);
	return NULL;
}

static void on_sigusr1(int sig)
{
}

/*
 * XFS_IOC_EXCHANGE_RANGE of @file2 with @file1 from a thread; with @intr,
 * SIGUSR1 goes to it half a second after it started the ioctl.  Fills @x
 * and returns 0, or -1 with @why filled if the thread could not be run.
 */
static int exchange_in_thread(struct exchanger *x, bool intr, char *why, size_t whylen)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	pthread_t t;
	int err;

	sigemptyset(&sa.sa_mask);
	if (intr && sigaction(SIGUSR1, &sa, NULL)) {
		snprintf(why, whylen, "sigaction: %s", strerror(errno));
		return -1;
	}
	err = pthread_create(&t, NULL, exchanger_run, x);
	if (err) {
		snprintf(why, whylen, "pthread_create: %s", strerror(err));
		return -1;
	}
	while (!__atomic_load_n(&x->started, __ATOMIC_ACQUIRE))
		usleep(1000);
	if (intr) {
		/* Long enough to be inside the wait, well before the 2 s read lands. */
		usleep(500000);
		x->late_signal = read_done(x->ctx, x->ev, x->reaped);
		pthread_kill(t, SIGUSR1);
	}
	pthread_join(t, NULL);
	return 0;
}

/* Mount @m again with @opts (as the lab mounted it: "dax=always"); 0 or -1. */
static int mount_with(const struct dax_mount *m, const char *opts)
{
	char dev[64];

	snprintf(dev, sizeof(dev), "/dev/%s", m->dev);
	return mount(dev, m->dir, m->fs, 0, opts);
}

static int mount_again(const struct dax_mount *m)
{
	return mount_with(m, "dax=always");
}

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX	0x00200000
#endif

/* Is @path a DAX file?  1, 0, or -1 if statx() fails. */
static int is_dax(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, 0, &stx))
		return -1;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

/*
 * For exchange_mixed: mount @m with dax=inode and make @dir, in which new
 * files are DAX; the files outside it are not.  0, or -1 with @why filled.
 */
static int mount_mixed(const struct dax_mount *m, const char *dir, char *why, size_t whylen)
{
	struct fsxattr fsx;
	int dfd;

	if (umount(m->dir)) {
		snprintf(why, whylen, "umount %s: %s", m->dir, strerror(errno));
		return -1;
	}
	if (mount_with(m, "dax=inode")) {
		snprintf(why, whylen, "mount %s with dax=inode: %s", m->dev, strerror(errno));
		return -1;
	}
	dfd = mkdir(dir, 0700) ? -1 : open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || ioctl(dfd, FS_IOC_FSGETXATTR, &fsx)) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	fsx.fsx_xflags |= FS_XFLAG_DAX;
	if (ioctl(dfd, FS_IOC_FSSETXATTR, &fsx)) {
		snprintf(why, whylen, "FS_XFLAG_DAX on %s: %s", dir, strerror(errno));
		goto fail;
	}
	close(dfd);
	return 0;
fail:
	if (dfd >= 0)
		close(dfd);
	return -1;
}

/*
 * Undo mount_mixed(): remove its DAX directory and mount @m with
 * dax=always again, as the other cases and tests expect.  A failure is
 * the case's (@why), unless it already has one.
 */
static void unmount_mixed(const struct dax_mount *m, const char *dir, char *why,
			  size_t whylen)
{
	rmdir(dir);
	if (!umount(m->dir) && !mount_again(m))
		return;
	ksft_print_msg("mounting %s again on %s: %s\n", m->dev, m->dir, strerror(errno));
	if (!why[0])
		snprintf(why, whylen, "could not mount %s with dax=always again", m->dev);
}

/* A case's result: SKIP, PASS, or a failure that is XFAIL if it is the op's known bug. */
static void report(const char *name, int op, const char *unsupported, const char *why)
{
	if (unsupported[0]) {
		ksft_test_result_skip("%s: %s\n", name, unsupported);
	} else if (!why[0]) {
		ksft_test_result_pass("%s\n", name);
	} else if (known_bug(op)) {
		ksft_print_msg("%s\n", why);
		/* The known bug may make the kernel warn; that is its symptom. */
		allow_kernel_report("fs/dax\\.c:[0-9]+ dax_disassociate_entry|fs/dax\\.c:[0-9]+ dax_insert_entry");
		ksft_test_result_xfail("%s: known bug on %s kernel: %s\n", name,
				       getenv("DAXGUP_KERNEL"), ops[op].bug);
	} else {
		ksft_print_msg("%s\n", why);
		ksft_test_result_fail("%s\n", name);
	}
}

/* Append a reason to @why, after the ones already there. */
static void add_why(char *why, size_t whylen, const char *fmt, ...)
{
	size_t len = strlen(why);
	va_list ap;

	if (len && len + 2 < whylen)
		len += snprintf(why + len, whylen - len, "; ");
	va_start(ap, fmt);
	vsnprintf(why + len, whylen - len, fmt, ap);
	va_end(ap);
}

/*
 * The checks of operations that give the file's blocks to no stranger,
 * once the read completed: see the top of this file.  @snap is the other
 * file's content as the operation returned; @undone: the operation was
 * interrupted, so nothing may have moved.  Fills @why on failure.
 */
static void check_own_files(int op, bool undone, const char *victim, const char *peer,
			    const void *snap, void *buf, char *why, size_t whylen)
{
	const char *what = ops[op].name;
	long bad;
	int ret;

	if (undone) {
		ret = read_head(peer, buf);
		bad = ret ? 0 : check_pattern(buf, VICTIM_LEN, SEED_PEER);
		if (ret)
			snprintf(why, whylen, "reading the donor: %s", strerror(-ret));
		else if (bad >= 0)
			snprintf(why, whylen,
				 "%s was interrupted, yet the donor changed: at byte %ld it holds %s",
				 what, bad, head_is(buf));
	} else if (ops[op].donor) {
		ret = read_head(peer, buf);
		if (ret)
			snprintf(why, whylen, "reading the donor: %s", strerror(-ret));
		else if ((bad = check_pattern(buf, VICTIM_LEN, SEED_FRESH)) >= 0)
			snprintf(why, whylen,
				 "the pattern written to the donor after %s returned was overwritten at byte %ld, by %s: the read landed in the blocks the donor took",
				 what, bad, head_is(buf));
		return;
	}
	/* Interrupted, nothing moved: the read's data is in the file, as after an extension. */
	switch (undone ? OP_TRUNCATE_EXTEND : op) {
	case OP_CLONE_SRC:
		ret = read_head(peer, buf);
		if (ret) {
			snprintf(why, whylen, "reading the clone: %s", strerror(-ret));
		} else if (memcmp(buf, snap, VICTIM_LEN)) {
			snprintf(why, whylen,
				 "the clone changed after FICLONERANGE returned: it held %s, now %s",
				 head_is(snap), head_is(buf));
		} else if ((bad = check_pattern(snap, VICTIM_LEN, SEED_READ)) >= 0) {
			snprintf(why, whylen,
				 "the clone holds %s, not the source's data after the read (byte %ld)",
				 head_is(snap), bad);
		}
		break;
	case OP_DEDUPE_SRC:
		ret = read_head(peer, buf);
		if (ret)
			snprintf(why, whylen, "reading the dedupe's destination: %s", strerror(-ret));
		else if ((bad = check_pattern(buf, VICTIM_LEN, SEED_VICTIM)) >= 0)
			snprintf(why, whylen,
				 "FIDEDUPERANGE changed its destination: at byte %ld, it holds %s",
				 bad, head_is(buf));
		break;
	case OP_TRUNCATE_EXTEND:
	case OP_UMOUNT:
		break;
	default:
		return;
	}
	if (why[0])
		return;
	/* The read's data is in the file it was read into. */
	ret = read_head(victim, buf);
	if (ret)
		snprintf(why, whylen, "reading the file after %s: %s", what, strerror(-ret));
	else if ((bad = check_pattern(buf, VICTIM_LEN, SEED_READ)) >= 0)
		snprintf(why, whylen, "after %s, the file holds %s, not the read's (byte %ld)",
			 what, head_is(buf), bad);
}

/* cow_write: what the slow device got (@buf) instead of the file's old data. */
static const char *cow_landed(const void *buf)
{
	static const struct seed_meaning known[] = {
		{ SEED_READ, "its old content: nothing was written" },
		{ SEED_FRESH, "the data write(2) put in the file after the O_DIRECT write started" },
		{ SEED_PEER,
		  "another file's data: what was written to the file it had shared its blocks with" },
	};

	return pattern_is(buf, known, ARRAY_SIZE(known));
}

/*
 * exchange_busy_second: the donor @low must get the lower inode number,
 * so that xfs takes the file @high second.  Creates both (empty) and swaps
 * their names if need be; 0 or -errno.
 */
static int order_inodes(const char *low, const char *high)
{
	struct stat sl, sh;
	int fd;

	fd = open(low, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	fd = open(high, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	if (stat(low, &sl) || stat(high, &sh))
		return -errno;
	if (sl.st_ino > sh.st_ino && renameat2(AT_FDCWD, low, AT_FDCWD, high, RENAME_EXCHANGE))
		return -errno;
	return 0;
}

#define EXT4_IOC_SWAP_BOOT	_IO('f', 17)

/*
 * One case: @op while O_DIRECT DMA into (cow_write: from) the mapping of a
 * file is in flight.  @variant: exchange_busy_second's second run, with
 * SIGUSR1.
 */
static void run_case(const struct dax_mount *m, int op, const char *slow, int iter, int variant)
{
	char name[640], victim[512], ballast[512], reuse[512], peer[512], daxdir[512];
	char why[600] = "", unsupported[200] = "", opname[64];
	struct iocb cb, *cbs[1] = { &cb };
	io_context_t ctx = 0;
	struct io_event ev;
	bool submitted = false, reaped = false, unmounted = false, mixed = false, waited;
	bool cow = op == OP_COW_WRITE, intr = op == OP_EXCHANGE_BUSY && variant == 1;
	bool interrupted = false;
	const char *dma = cow ? "write" : "read";
	const char *dev = cow ? getenv("DAXGUP_SLOW_WRITE") : slow;
	struct exchanger x = { .ctx = 0 };
	struct statvfs sv;
	struct stat vst, pst;
	size_t reuse_len = 0;
	void *map = NULL, *pat = anon_buf(VICTIM_LEN), *snap = anon_buf(VICTIM_LEN);
	uint32_t peer_seed = 0;
	int fd = -1, sfd = -1, pfd = -1, ret;
	long bad;

	snprintf(opname, sizeof(opname), "%s%s", ops[op].name,
		 intr ? " interrupted by SIGUSR1" : "");
	snprintf(name, sizeof(name), "%s/%s/%s: %s while O_DIRECT DMA %s its DAX pages is in flight (#%d)",
		 m->fs, m->memmap, m->driver, opname, cow ? "from" : "into", iter);
	/* exchange_mixed: the file and the free space checks are DAX, the donor not. */
	snprintf(daxdir, sizeof(daxdir), "%s%s", m->dir,
		 op == OP_EXCHANGE_MIXED ? "/inflight-dax" : "");
	snprintf(victim, sizeof(victim), "%s/inflight-victim", daxdir);
	snprintf(ballast, sizeof(ballast), "%s/inflight-ballast", m->dir);
	snprintf(reuse, sizeof(reuse), "%s/inflight-reuse", daxdir);
	snprintf(peer, sizeof(peer), "%s/inflight-peer", m->dir);

	if (!pat || !snap) {
		snprintf(why, sizeof(why), "out of memory");
		goto out;
	}
	if (ops[op].only_fs && strcmp(m->fs, ops[op].only_fs)) {
		snprintf(unsupported, sizeof(unsupported), "%s has no such operation (%s only)",
			 m->fs, ops[op].only_fs);
		goto out;
	}
	if (!dev) {
		snprintf(unsupported, sizeof(unsupported),
			 "no DAXGUP_SLOW_WRITE (a device whose writes are slow)");
		goto out;
	}
	if (op == OP_EXCHANGE_MIXED) {
		if (strcmp(m->fs, "xfs")) {
			snprintf(unsupported, sizeof(unsupported),
				 "exchange-range is xfs's, not %s's", m->fs);
			goto out;
		}
		mixed = true;
		if (mount_mixed(m, daxdir, why, sizeof(why)))
			goto out;
	}
	/*
	 * The slow device holds what the read will carry (cow_write: what the
	 * write must replace).
	 */
	fill_pattern(pat, VICTIM_LEN, SEED_READ);
	ret = direct_pwrite(dev, pat, VICTIM_LEN, 0);
	if (ret) {
		snprintf(why, sizeof(why), "writing %s: %s", dev, strerror(-ret));
		goto out;
	}
	/* Leave little free space, so the victim's blocks get reused. */
	if (statvfs(m->dir, &sv)) {
		snprintf(why, sizeof(why), "statvfs: %s", strerror(errno));
		goto out;
	}
	fd = open(ballast, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, (off_t)sv.f_bavail * sv.f_frsize - SPARE_FREE)) {
		snprintf(why, sizeof(why), "ballast: %s", strerror(errno));
		goto out;
	}
	close(fd);
	if (op == OP_EXCHANGE_BUSY) {
		ret = order_inodes(peer, victim);
		if (ret) {
			snprintf(why, sizeof(why), "creating the file and the donor: %s",
				 strerror(-ret));
			goto out;
		}
	}
	ret = write_file(victim, VICTIM_LEN, SEED_VICTIM);
	fd = open(victim, O_RDWR);
	if (ret || fd < 0) {
		snprintf(why, sizeof(why), "victim: %s", strerror(ret ? -ret : errno));
		goto out;
	}
	/* The other file of the operation, if it has one. */
	switch (op) {
	case OP_CLONE_DEST:
	case OP_DEDUPE_DEST:
	case OP_DEDUPE_SRC:
		/* Same content as the victim, so that dedupe agrees to share. */
		peer_seed = SEED_VICTIM;
		break;
	case OP_CLONE_SRC:
		peer_seed = SEED_PEER;
		break;
	}
	if (ops[op].donor)
		peer_seed = SEED_PEER;
	if (peer_seed) {
		ret = write_file(peer, VICTIM_LEN, peer_seed);
		pfd = open(peer, O_RDWR);
		if (ret || pfd < 0) {
			snprintf(why, sizeof(why), "%s: %s", peer, strerror(ret ? -ret : errno));
			goto out;
		}
	}
	if (cow) {
		/* The file's blocks are the other file's too. */
		pfd = open(peer, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (pfd < 0 || ioctl(pfd, FICLONE, fd)) {
			if (pfd >= 0 && (errno == EOPNOTSUPP || errno == EINVAL))
				snprintf(unsupported, sizeof(unsupported), "FICLONE on %s: %s",
					 m->fs, strerror(errno));
			else
				snprintf(why, sizeof(why), "FICLONE: %s", strerror(errno));
			goto out;
		}
	}
	if (op == OP_EXCHANGE_BUSY &&
	    (fstat(fd, &vst) || fstat(pfd, &pst) || vst.st_ino < pst.st_ino)) {
		snprintf(why, sizeof(why), "the file did not get the higher inode number");
		goto out;
	}
	if (mixed && (is_dax(victim) != 1 || is_dax(peer) != 0)) {
		snprintf(why, sizeof(why), "dax=inode: the file is %sDAX, the donor %sDAX",
			 is_dax(victim) == 1 ? "" : "not ", is_dax(peer) == 1 ? "" : "not ");
		goto out;
	}
	map = dax_map(fd, VICTIM_LEN, DAX_PMD);
	sfd = open(dev, (cow ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (!map || sfd < 0 || io_setup(1, &ctx)) {
		snprintf(why, sizeof(why), "map/open/io_setup: %s", strerror(errno));
		goto out;
	}
	/* io_submit() returns with the pages pinned and the bios queued. */
	if (cow)
		io_prep_pwrite(&cb, sfd, map, VICTIM_LEN, 0);
	else
		io_prep_pread(&cb, sfd, map, VICTIM_LEN, 0);
	ret = io_submit(ctx, 1, cbs);
	if (ret != 1) {
		snprintf(why, sizeof(why), "io_submit: %s", strerror(ret < 0 ? -ret : EIO));
		goto out;
	}
	submitted = true;
	if (read_done(ctx, &ev, &reaped)) {
		snprintf(why, sizeof(why), "the %s was not slow: is %s a dm-delay device?", dma,
			 dev);
		goto out;
	}
	if (ops[op].unmap_first) {
		munmap(map, VICTIM_LEN);
		map = NULL;
	}
	switch (op) {
	case OP_TRUNCATE_MAPPED:
	case OP_TRUNCATE:
		ret = ftruncate(fd, 0);
		break;
	case OP_PUNCH:
		ret = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, VICTIM_LEN);
		break;
	case OP_COLLAPSE:
		ret = fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, VICTIM_LEN / 2);
		break;
	case OP_INSERT:
		ret = fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, VICTIM_LEN);
		break;
	case OP_ZERO:
		ret = fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, VICTIM_LEN);
		break;
	case OP_CLONE_DEST:
	case OP_DEDUPE_DEST:
		ret = remap_onto(op == OP_CLONE_DEST, pfd, fd);
		break;
	case OP_UNLINK_CLOSE:
		ret = unlink(victim);
		if (!ret)
			ret = close(fd);
		fd = -1;
		break;
	case OP_TRUNCATE_EXTEND:
		ret = ftruncate(fd, 2 * VICTIM_LEN);
		break;
	case OP_CLONE_SRC:
	case OP_DEDUPE_SRC:
		ret = remap_onto(op == OP_CLONE_SRC, fd, pfd);
		break;
	case OP_SWAPEXT:
		ret = swapext(fd, pfd);
		break;
	case OP_EXCHANGE:
	case OP_EXCHANGE_MIXED:
		ret = exchange_range(fd, pfd);
		break;
	case OP_SWAP_BOOT:
		ret = ioctl(fd, EXT4_IOC_SWAP_BOOT);
		break;
	case OP_EXCHANGE_BUSY:
		x = (struct exchanger){ .file2 = fd, .file1 = pfd, .ctx = ctx, .ev = &ev,
					.reaped = &reaped };
		if (exchange_in_thread(&x, intr, why, sizeof(why)))
			goto out;
		ret = x.ret;
		errno = x.err;
		interrupted = intr && ret && errno == EINTR;
		break;
	case OP_COW_WRITE:
		/* Copy-on-write: the file gets new blocks, the old stay the other's. */
		ret = fill_file(victim, VICTIM_LEN, SEED_FRESH, 0);
		errno = -ret;
		break;
	case OP_UMOUNT:
		ret = close(fd);
		fd = -1;
		if (!ret)
			ret = umount(m->dir);
		unmounted = !ret;
		break;
	}
	waited = op == OP_EXCHANGE_BUSY ? x.done_at_return : read_done(ctx, &ev, &reaped);
	if (unmounted) {
		/* At once: the filesystem is back even if this case fails. */
		if (mount_again(m)) {
			snprintf(why, sizeof(why), "mounting %s again on %s: %s", m->dev, m->dir,
				 strerror(errno));
			goto out;
		}
		unmounted = false;
	}
	if (ret && !interrupted && op != OP_UMOUNT &&
	    (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOTTY)) {
		snprintf(unsupported, sizeof(unsupported), "%s on %s: %s%s", ops[op].name,
			 m->fs, strerror(errno),
			 (op == OP_EXCHANGE || op == OP_EXCHANGE_BUSY || mixed) &&
			 errno == EOPNOTSUPP ?
			 " (no exchange-range feature: mkfs.xfs -i exchange=1)" : "");
		goto out;
	}
	if (ret && !interrupted) {
		snprintf(why, sizeof(why), "%s: %s", ops[op].name, strerror(errno));
		goto out;
	}
	/* Before the read lands: what the other file holds, or gets. */
	if (op == OP_CLONE_SRC && pread(pfd, snap, VICTIM_LEN, 0) != (ssize_t)VICTIM_LEN) {
		snprintf(why, sizeof(why), "reading the clone: %s", strerror(errno));
		goto out;
	}
	/*
	 * swap_boot: a second file takes the boot loader inode's blocks, the
	 * file's; all of them, or the check of the donor would show nothing.
	 */
	if (op == OP_SWAP_BOOT && (ioctl(pfd, EXT4_IOC_SWAP_BOOT) || fstat(pfd, &pst))) {
		snprintf(why, sizeof(why), "swapping a second file with the boot loader inode: %s",
			 strerror(errno));
		goto out;
	}
	if (op == OP_SWAP_BOOT &&
	    (pst.st_size != (off_t)VICTIM_LEN || pst.st_blocks < (blkcnt_t)(VICTIM_LEN / 512))) {
		snprintf(why, sizeof(why),
			 "the second file got %lld bytes and %lld blocks from the boot loader inode, not the file's",
			 (long long)pst.st_size, (long long)pst.st_blocks);
		goto out;
	}
	if (ops[op].donor && !interrupted) {
		ret = fill_file(peer, VICTIM_LEN, SEED_FRESH, 0);
		if (ret) {
			snprintf(why, sizeof(why), "writing the donor: %s", strerror(-ret));
			goto out;
		}
	}
	/*
	 * cow_write: the file's old blocks are the other file's alone now, and
	 * written to in place.
	 */
	if (cow) {
		ret = fill_file(peer, VICTIM_LEN, SEED_PEER, 0);
		if (ret) {
			snprintf(why, sizeof(why), "writing %s: %s", peer, strerror(-ret));
			goto out;
		}
	}
	/* Commit the freeing, then hand every free block to another file. */
	sync();
	if (!statvfs(m->dir, &sv))
		reuse_len = ((size_t)sv.f_bavail * sv.f_frsize - SZ_2M) & ~(SZ_2M - 1);
	ret = write_file(reuse, reuse_len, SEED_REUSE);
	if (ret) {
		snprintf(why, sizeof(why), "filling free space: %s", strerror(-ret));
		goto out;
	}
	if (!reaped && io_getevents(ctx, 1, 1, &ev, NULL) == 1)
		reaped = true;
	submitted = false;
	if (!reaped || (long)ev.res != (long)VICTIM_LEN) {
		snprintf(why, sizeof(why), "the slow %s failed: %s", dma,
			 reaped ? strerror(-(long)ev.res) : "no completion");
		goto out;
	}
	bad = check_file(reuse, reuse_len, SEED_REUSE);
	if (bad >= 0) {
		snprintf(why, sizeof(why),
			 "data of the in-flight read landed in another file (at %ld MiB of it)%s",
			 bad >> 20, waited ? "" : "; the layout change did not wait");
		goto out;
	}
	if (cow) {
		/* What the O_DIRECT write took from the pages: the file's old data. */
		ret = direct_pread(dev, pat, VICTIM_LEN, 0);
		bad = ret ? 0 : check_pattern(pat, VICTIM_LEN, SEED_VICTIM);
		if (ret)
			snprintf(why, sizeof(why), "reading %s: %s", dev, strerror(-ret));
		else if (bad >= 0)
			snprintf(why, sizeof(why),
				 "%s got %s, not the file's data from before write(2) (from byte %ld)",
				 dev, cow_landed(pat), bad);
	} else {
		check_own_files(op, interrupted, victim, peer, snap, pat, why, sizeof(why));
	}
	if (intr && x.late_signal)
		add_why(why, sizeof(why),
			"the read completed before SIGUSR1 was sent: is %s slow enough?", dev);
	else if (intr && !interrupted)
		add_why(why, sizeof(why),
			"SIGUSR1 did not interrupt the wait: the exchange returned %d %s the read completed",
			x.ret, waited ? "after" : "before");
	else if (interrupted && waited)
		add_why(why, sizeof(why),
			"the exchange returned EINTR only after the read completed");
	if (!waited && !ops[op].may_return_early && !interrupted)
		add_why(why, sizeof(why), "%s returned while the DMA was still in flight",
			ops[op].name);
	else if (!waited && !why[0] && !interrupted)
		ksft_print_msg("%s returned before the read completed: allowed, it freed nothing\n",
			       ops[op].name);
	if (op == OP_EXCHANGE_BUSY) {
		/* Only an ioctl that blocked (waited or was interrupted) can spin. */
		if ((waited || interrupted) && x.cpu_ms * 2 > x.wall_ms)
			add_why(why, sizeof(why),
				"the exchanging thread spun: %ld ms of CPU in the %ld ms of the ioctl",
				x.cpu_ms, x.wall_ms);
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
			 ": the ioctl took %ld ms, %ld ms of its thread's CPU%s", x.wall_ms,
			 x.cpu_ms, interrupted ? ", EINTR" : "");
	}
out:
	if (submitted && !reaped)
		io_getevents(ctx, 1, 1, &ev, NULL);
	if (ctx)
		io_destroy(ctx);
	if (unmounted && mount_again(m))
		ksft_print_msg("mounting %s again on %s: %s\n", m->dev, m->dir, strerror(errno));
	if (map)
		munmap(map, VICTIM_LEN);
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	unlink(victim);
	unlink(ballast);
	unlink(reuse);
	unlink(peer);
	if (mixed)
		unmount_mixed(m, daxdir, why, sizeof(why));
	free(pat);
	free(snap);
	report(name, op, unsupported, why);
}


/* ext4's online defrag would move a DAX file's blocks: it must stay refused. */
struct move_extent {
	uint32_t reserved;
	uint32_t donor_fd;
	uint64_t orig_start;
	uint64_t donor_start;
	uint64_t len;
	uint64_t moved_len;
};

#define EXT4_IOC_MOVE_EXT	_IOWR('f', 15, struct move_extent)

static void check_move_ext_refused(const struct dax_mount *m)
{
	char name[512], orig[512], donor[512], why[200] = "";
	struct move_extent me = { .len = VICTIM_LEN / SZ_4K };
	int ofd, dfd, ret;

	snprintf(name, sizeof(name), "%s/%s/%s: EXT4_IOC_MOVE_EXT refuses DAX files",
		 m->fs, m->memmap, m->driver);
	if (strcmp(m->fs, "ext4")) {
		ksft_test_result_skip("%s: not ext4\n", name);
		return;
	}
	snprintf(orig, sizeof(orig), "%s/move-orig", m->dir);
	snprintf(donor, sizeof(donor), "%s/move-donor", m->dir);
	write_file(orig, VICTIM_LEN, 1);
	write_file(donor, VICTIM_LEN, 2);
	ofd = open(orig, O_RDWR);
	dfd = open(donor, O_RDWR);
	me.donor_fd = dfd;
	ret = ofd < 0 || dfd < 0 ? -1 : ioctl(ofd, EXT4_IOC_MOVE_EXT, &me);
	if (ofd < 0 || dfd < 0)
		snprintf(why, sizeof(why), "open: %s", strerror(errno));
	else if (!ret)
		snprintf(why, sizeof(why), "moved %llu blocks of a DAX file",
			 (unsigned long long)me.moved_len);
	else if (errno != EOPNOTSUPP)
		snprintf(why, sizeof(why), "refused with %s, not EOPNOTSUPP", strerror(errno));
	if (ofd >= 0)
		close(ofd);
	if (dfd >= 0)
		close(dfd);
	unlink(orig);
	unlink(donor);
	report_case(name, why);
}

/*
 * move_ext_donor: EXT4_IOC_MOVE_EXT from a file that is not DAX with a
 * donor that is (dax=inode): the donor's blocks, which a DAX page may pin,
 * would go to the other file.  It must be refused with EOPNOTSUPP.
 */
static void check_move_ext_donor(const struct dax_mount *m, int op)
{
	char name[512], orig[512], donor[512], dir[512], why[300] = "", unsupported[100] = "";
	struct move_extent me = { .len = VICTIM_LEN / SZ_4K };
	int ofd = -1, dfd = -1, ret;
	bool mixed = false;

	snprintf(name, sizeof(name), "%s/%s/%s: EXT4_IOC_MOVE_EXT refuses a DAX donor",
		 m->fs, m->memmap, m->driver);
	snprintf(dir, sizeof(dir), "%s/move-dax", m->dir);
	snprintf(orig, sizeof(orig), "%s/move-orig", m->dir);
	snprintf(donor, sizeof(donor), "%s/move-donor", dir);
	if (strcmp(m->fs, ops[op].only_fs)) {
		snprintf(unsupported, sizeof(unsupported), "not %s", ops[op].only_fs);
		goto out;
	}
	mixed = true;
	if (mount_mixed(m, dir, why, sizeof(why)))
		goto out;
	ret = write_file(orig, VICTIM_LEN, SEED_VICTIM);
	if (!ret)
		ret = write_file(donor, VICTIM_LEN, SEED_PEER);
	ofd = open(orig, O_RDWR);
	dfd = open(donor, O_RDWR);
	if (ret || ofd < 0 || dfd < 0) {
		snprintf(why, sizeof(why), "creating the files: %s", strerror(ret ? -ret : errno));
		goto out;
	}
	if (is_dax(orig) != 0 || is_dax(donor) != 1) {
		snprintf(why, sizeof(why), "dax=inode: the original is %sDAX, the donor %sDAX",
			 is_dax(orig) == 1 ? "" : "not ", is_dax(donor) == 1 ? "" : "not ");
		goto out;
	}
	me.donor_fd = dfd;
	ret = ioctl(ofd, EXT4_IOC_MOVE_EXT, &me);
	if (!ret)
		snprintf(why, sizeof(why),
			 "moved %llu blocks of a DAX donor to a file that is not DAX",
			 (unsigned long long)me.moved_len);
	else if (errno != EOPNOTSUPP)
		snprintf(why, sizeof(why), "refused with %s, not EOPNOTSUPP", strerror(errno));
out:
	if (ofd >= 0)
		close(ofd);
	if (dfd >= 0)
		close(dfd);
	unlink(orig);
	unlink(donor);
	if (mixed)
		unmount_mixed(m, dir, why, sizeof(why));
	report(name, op, unsupported, why);
}

/*
 * Is @name among the comma-separated names of DAXGUP_OPS (all if unset)?
 * "move_ext" names the EXT4_IOC_MOVE_EXT check of a DAX original file.
 */
static bool selected(const char *name)
{
	const char *list = getenv("DAXGUP_OPS"), *p;
	size_t len = strlen(name);

	if (!list || !*list)
		return true;
	for (p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *slow = getenv("DAXGUP_SLOW");
	const char *it = getenv("DAXGUP_ITER");
	int n = dax_mounts(mounts, MAX_MOUNTS), iters = it ? atoi(it) : 1, i, op, k;
	int nr_cases = 0, v;

	ksft_print_header();
	if (!n || !slow)
		ksft_exit_skip("no DAX filesystem or slow device (DAXGUP_MOUNTS, DAXGUP_SLOW)\n");
	if (iters < 1)
		iters = 1;
	for (op = 0; op < NR_OPS; op++) {
		if (selected(ops[op].name))
			nr_cases += ops[op].check ? 1 : iters * (ops[op].variants ?: 1);
	}
	if (!nr_cases && !selected("move_ext"))
		ksft_exit_fail_msg("DAXGUP_OPS=%s names no case\n", getenv("DAXGUP_OPS"));
	ksft_set_plan(n * (nr_cases + selected("move_ext")));
	for (i = 0; i < n; i++) {
		for (op = 0; op < NR_OPS; op++) {
			if (!selected(ops[op].name))
				continue;
			if (ops[op].check) {
				ops[op].check(&mounts[i], op);
				continue;
			}
			for (k = 1; k <= iters; k++)
				for (v = 0; v < (ops[op].variants ?: 1); v++)
					run_case(&mounts[i], op, slow, k, v);
		}
		if (selected("move_ext"))
			check_move_ext_refused(&mounts[i]);
	}
	ksft_finished();
}
