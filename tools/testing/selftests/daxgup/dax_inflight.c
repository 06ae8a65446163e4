// SPDX-License-Identifier: GPL-2.0
/*
 * dax_inflight: a filesystem must not free the blocks behind a DAX page
 * while DMA into that page is still in flight.
 *
 An asynchronous O_DIRECT read (libaio) of 2 MiB from a slow device
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
 *
 * An operation the filesystem does not offer (ext4 has no reflink) is
 * reported as SKIP with the filesystem's answer.
 *
 then syncs (so the freed blocks may be reused) and writes a pattern over
 * all the filesystem's free space (a ballast file keeps that small, so the
 * freed blocks are among it).  Correct: the layout change returns only
 * after the read completed, and when the read lands no other file changes.
 * "Completed" is the read's completion event: the block layer posts it
 * before it unpins the last pages, so a layout change that waited for the
 * pages to go idle always finds it posted.  No timing is involved.
 * Cases that are a known bug of the kernel under test (DAXGUP_KERNEL) are
 * reported as XFAIL with the bug named, never as a pass.
 */
#include <libaio.h>
#include <sys/statvfs.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "daxgup.h"

#define VICTIM_LEN	SZ_2M
#define SPARE_FREE	(16UL << 20)

enum layout_op {
	OP_TRUNCATE_MAPPED, OP_TRUNCATE, OP_PUNCH, OP_COLLAPSE, OP_INSERT,
	OP_ZERO, OP_CLONE_DEST, OP_DEDUPE_DEST, OP_UNLINK_CLOSE, NR_OPS
};

#define UNMAPPED_BUG \
	"6.12: dax_layout_busy_page_range() skips unmapped files, blocks freed under DMA"

static const struct {
	const char *name;
	bool unmap_first;
	/* kernels on which this case shows a known bug, and which */
	const char *broken_on;
	const char *bug;
} ops[NR_OPS] = {
	[OP_TRUNCATE_MAPPED] = { "truncate_mapped", false, "", "" },
	[OP_TRUNCATE] = { "truncate", true, "stock base", UNMAPPED_BUG },
	[OP_PUNCH] = { "punch", true, "stock base", UNMAPPED_BUG },
	[OP_COLLAPSE] = { "collapse_range", true, "stock base", UNMAPPED_BUG },
	[OP_INSERT] = { "insert_range", true, "stock base", UNMAPPED_BUG },
	[OP_ZERO] = { "zero_range", true, "stock base", UNMAPPED_BUG },
	[OP_CLONE_DEST] = { "clone_onto", true, "stock base", UNMAPPED_BUG },
	[OP_DEDUPE_DEST] = { "dedupe_onto", true, "stock base", UNMAPPED_BUG },
	[OP_UNLINK_CLOSE] = { "unlink_close", true, "stock base",
		"6.12: inode eviction frees DAX blocks without waiting for pinned pages" },
};

/* FICLONERANGE or FIDEDUPERANGE of all of @src onto @dst; 0 or -1. */
static int remap_onto(int op, int src, int dst)
{
	struct file_clone_range clone = { .src_fd = src, .src_length = VICTIM_LEN };
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} dd = {
		.r = { .src_length = VICTIM_LEN, .dest_count = 1 },
		.info = { .dest_fd = dst },
	};

	if (op == OP_CLONE_DEST)
		return ioctl(dst, FICLONERANGE, &clone);
	if (ioctl(src, FIDEDUPERANGE, &dd))
		return -1;
	/*
	 * A filesystem that waited for the DMA before comparing finds the
	 * victim changed and shares nothing: that is correct too.
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

/* Has the read completed?  Reaps its event if so; never blocks. */
static bool read_done(io_context_t ctx, struct io_event *ev, bool *reaped)
{
	struct timespec now = { 0, 0 };

	if (!*reaped && io_getevents(ctx, 0, 1, ev, &now) == 1)
		*reaped = true;
	return *reaped;
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

/* Fill @path with @len bytes of pattern @seed; 0 or -errno. */
static int write_file(const char *path, size_t len, uint32_t seed)
{
	size_t chunk = SZ_2M, off;
	void *buf = anon_buf(chunk);
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
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

static void run_case(const struct dax_mount *m, int op, const char *slow, int iter)
{
	char name[512], victim[512], ballast[512], reuse[512], source[512];
	char why[200] = "", unsupported[200] = "";
	struct iocb cb, *cbs[1] = { &cb };
	io_context_t ctx = 0;
	struct io_event ev;
	bool submitted = false, reaped = false, waited;
	struct statvfs sv;
	size_t reuse_len = 0;
	void *map = NULL, *pat = anon_buf(VICTIM_LEN);
	int fd = -1, sfd = -1, srcfd = -1, ret;
	long bad;

	snprintf(name, sizeof(name), "%s/%s/%s: %s while O_DIRECT DMA into its DAX pages is in flight (#%d)",
		 m->fs, m->memmap, m->driver, ops[op].name, iter);
	snprintf(victim, sizeof(victim), "%s/inflight-victim", m->dir);
	snprintf(ballast, sizeof(ballast), "%s/inflight-ballast", m->dir);
	snprintf(reuse, sizeof(reuse), "%s/inflight-reuse", m->dir);
	snprintf(source, sizeof(source), "%s/inflight-source", m->dir);

	/* The slow device holds what the read will carry. */
	fill_pattern(pat, VICTIM_LEN, 0xd7a);
	ret = direct_pwrite(slow, pat, VICTIM_LEN, 0);
	if (ret) {
		snprintf(why, sizeof(why), "writing %s: %s", slow, strerror(-ret));
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
	ret = write_file(victim, VICTIM_LEN, 0xf11e);
	fd = open(victim, O_RDWR);
	if (ret || fd < 0) {
		snprintf(why, sizeof(why), "victim: %s", strerror(ret ? -ret : errno));
		goto out;
	}
	if (op == OP_CLONE_DEST || op == OP_DEDUPE_DEST) {
		/* Same content as the victim, so that dedupe agrees to share. */
		ret = write_file(source, VICTIM_LEN, 0xf11e);
		srcfd = open(source, O_RDONLY);
		if (ret || srcfd < 0) {
			snprintf(why, sizeof(why), "source: %s", strerror(ret ? -ret : errno));
			goto out;
		}
	}
	map = dax_map(fd, VICTIM_LEN, DAX_PMD);
	sfd = open(slow, O_RDONLY | O_DIRECT);
	if (!map || sfd < 0 || io_setup(1, &ctx)) {
		snprintf(why, sizeof(why), "map/open/io_setup: %s", strerror(errno));
		goto out;
	}
	/* io_submit() returns with the pages pinned and the bios queued. */
	io_prep_pread(&cb, sfd, map, VICTIM_LEN, 0);
	ret = io_submit(ctx, 1, cbs);
	if (ret != 1) {
		snprintf(why, sizeof(why), "io_submit: %s", strerror(ret < 0 ? -ret : EIO));
		goto out;
	}
	submitted = true;
	if (read_done(ctx, &ev, &reaped)) {
		snprintf(why, sizeof(why), "the read was not slow: is %s a dm-delay device?", slow);
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
		ret = remap_onto(op, srcfd, fd);
		break;
	case OP_UNLINK_CLOSE:
		ret = unlink(victim);
		if (!ret)
			ret = close(fd);
		fd = -1;
		break;
	}
	waited = read_done(ctx, &ev, &reaped);
	if (ret && (errno == EOPNOTSUPP || errno == EINVAL)) {
		snprintf(unsupported, sizeof(unsupported), "%s on %s: %s", ops[op].name,
			 m->fs, strerror(errno));
		goto out;
	}
	if (ret) {
		snprintf(why, sizeof(why), "%s: %s", ops[op].name, strerror(errno));
		goto out;
	}
	/* Commit the freeing, then hand every free block to another file. */
	sync();
	if (!statvfs(m->dir, &sv))
		reuse_len = ((size_t)sv.f_bavail * sv.f_frsize - SZ_2M) & ~(SZ_2M - 1);
	ret = write_file(reuse, reuse_len, 0x6e3);
	if (ret) {
		snprintf(why, sizeof(why), "filling free space: %s", strerror(-ret));
		goto out;
	}
	if (!reaped && io_getevents(ctx, 1, 1, &ev, NULL) == 1)
		reaped = true;
	submitted = false;
	if (!reaped || (long)ev.res != (long)VICTIM_LEN) {
		snprintf(why, sizeof(why), "the slow read failed: %s",
			 reaped ? strerror(-(long)ev.res) : "no completion");
		goto out;
	}
	bad = check_file(reuse, reuse_len, 0x6e3);
	if (bad >= 0)
		snprintf(why, sizeof(why),
			 "data of the in-flight read landed in another file (at %ld MiB of it)%s",
			 bad >> 20, waited ? "" : "; the layout change did not wait");
	else if (!waited)
		snprintf(why, sizeof(why), "%s returned while the DMA was still in flight",
			 ops[op].name);
out:
	if (submitted && !reaped)
		io_getevents(ctx, 1, 1, &ev, NULL);
	if (ctx)
		io_destroy(ctx);
	if (map)
		munmap(map, VICTIM_LEN);
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0)
		close(fd);
	if (srcfd >= 0)
		close(srcfd);
	unlink(victim);
	unlink(ballast);
	unlink(reuse);
	unlink(source);
	free(pat);
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

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *slow = getenv("DAXGUP_SLOW");
	const char *it = getenv("DAXGUP_ITER");
	int n = dax_mounts(mounts, MAX_MOUNTS), iters = it ? atoi(it) : 1, i, op, k;

	ksft_print_header();
	if (!n || !slow)
		ksft_exit_skip("no DAX filesystem or slow device (DAXGUP_MOUNTS, DAXGUP_SLOW)\n");
	if (iters < 1)
		iters = 1;
	ksft_set_plan(n * (NR_OPS * iters + 1));
	for (i = 0; i < n; i++) {
		for (op = 0; op < NR_OPS; op++)
			for (k = 1; k <= iters; k++)
				run_case(&mounts[i], op, slow, k);
		check_move_ext_refused(&mounts[i]);
	}
	ksft_finished();
}
