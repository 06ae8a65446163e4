// SPDX-License-Identifier: GPL-2.0
/*
 * dax_demo: the hazard the daxgup series fixes, run live by `make`
 * (scripts/lab/guest/demo.sh), once on each DAX filesystem of the lab.
 *
 * A 2 MiB file is mapped MAP_SHARED and written through the mapping.  An
 * O_DIRECT read (libaio) of 2 MiB from the lab's slow device (DAXGUP_SLOW:
 * dm-delay, reads take 2 s by default) into the mapping pins the file's DAX pages
 * until it completes.  While it is in flight the file is unmapped (so no
 * process maps it any more) and truncated to 0, timed.  Meanwhile, from
 * FILL_DELAY_MS after the truncate started, a thread gives every free block
 * of the filesystem to a second file of a known pattern (a ballast file
 * leaves only SPARE_FREE free beforehand; ext4's reserved_clusters are 0
 * meanwhile): if the truncate freed the blocks before it waited, or did not
 * wait, that file gets them.  Once the read completed that file is checked.
 *
 * Correct (the series): the truncate returns only after the read completed,
 * and the second file keeps its pattern.  6.12 without the series
 * (dax_layout_busy_page_range() skips files that nobody maps) frees the
 * blocks at once: the second file gets them, and the read's data lands in
 * it.  This is dax_inflight's "truncate" case (a kselftest of the series),
 * printed for a newcomer: one result per filesystem, with how long the
 * truncate took.  The judgement is not timed: it is whether the read had
 * completed when the truncate returned, and whether the other file changed.
 *
 * On the kernels without the series (DAXGUP_KERNEL stock or base) the bug
 * showing is the demonstration: an XFAIL naming it.  There, a run that does
 * not show it fails, as dax_inflight's case does (known-failures).
 */
#include <libaio.h>
#include <pthread.h>
#include <time.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include "daxgup.h"

#define FILE_LEN	SZ_2M
#define SPARE_FREE	(16UL << 20)
/* How long after the truncate started the second file is made. */
#define FILL_DELAY_MS	200

/* Pattern seeds: what the read carries, the file, the second file. */
#define SEED_READ	0xd3a0
#define SEED_FILE	0xf11e
#define SEED_OTHER	0x07e5

/* What the kernel log shows of the bug: 6.12 warns as it frees the entry. */
#define BUG_REPORT	"fs/dax\\.c:[0-9]+ dax_disassociate_entry|fs/dax\\.c:[0-9]+ dax_insert_entry"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "stock 6.12", "base 6.12": the kernel under test, for the XFAIL; NULL if patched. */
static const char *old_kernel(void)
{
	static char label[64];
	const char *k = getenv("DAXGUP_KERNEL");
	struct utsname u;
	int major = 0, minor = 0;

	if (!k || !strcmp(k, "patched"))
		return NULL;
	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		snprintf(label, sizeof(label), "%s", k);
	else
		snprintf(label, sizeof(label), "%s %d.%d", k, major, minor);
	return label;
}

/*
 * ext4's reserved_clusters of @dev: read into @val (@set false) or set to
 * @val; 0 or -errno.  Not ext4: 0 and *@val -1 on a read.
 */
static int ext4_resv(const struct dax_mount *m, long long *val, bool set)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	if (strcmp(m->fs, "ext4")) {
		if (!set)
			*val = -1;
		return 0;
	}
	snprintf(path, sizeof(path), "/sys/fs/ext4/%s/reserved_clusters", m->dev);
	fd = open(path, set ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -errno;
	if (set) {
		n = snprintf(buf, sizeof(buf), "%lld\n", *val);
		n = write(fd, buf, n) == n ? 0 : -errno;
	} else {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			*val = atoll(buf);
			n = 0;
		} else {
			n = n < 0 ? -errno : -EIO;
		}
	}
	close(fd);
	return n;
}

/*
 * Write a new file @path until the filesystem is full, 2 MiB of pattern
 * SEED_OTHER + i at its i-th 2 MiB, the last blocks 4 KiB at a time.
 * 0 with the bytes written in @len, or -errno.
 */
static int fill_free_space(const char *path, size_t *len)
{
	uint8_t *buf = anon_buf(SZ_2M);
	size_t chunk = SZ_2M, off = 0, pos, want;
	int fd, ret = 0;
	ssize_t n;

	*len = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !buf) {
		ret = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	for (;;) {
		pos = off % SZ_2M;
		if (!pos)
			fill_pattern(buf, SZ_2M, SEED_OTHER + off / SZ_2M);
		want = chunk < SZ_2M - pos ? chunk : SZ_2M - pos;
		n = pwrite(fd, buf + pos, want, off);
		if (n < 0 && errno == ENOSPC && chunk > SZ_4K) {
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
		if ((size_t)n < want)
			chunk = SZ_4K;
	}
	*len = off;
	if (!ret && fsync(fd))
		ret = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/*
 * Where the second file lost its pattern: its offset, or -1 if it did not.
 * @read_data is set when that 2 MiB holds the read's data instead (from
 * where it differs on: the read is 2 MiB, the blocks need not be aligned).
 */
static long other_changed(const char *path, size_t len, bool *read_data, int *err)
{
	uint8_t *buf = anon_buf(SZ_2M), *ref = anon_buf(SZ_2M);
	size_t off, n, r;
	long bad = -1, at;
	int fd = open(path, O_RDONLY);

	*read_data = false;
	*err = fd < 0 || !buf || !ref ? (fd < 0 ? errno : ENOMEM) : 0;
	if (!*err)
		fill_pattern(ref, SZ_2M, SEED_READ);
	for (off = 0; !*err && off < len; off += SZ_2M) {
		n = len - off < SZ_2M ? len - off : SZ_2M;
		if (pread(fd, buf, n, off) != (ssize_t)n) {
			*err = errno ? errno : EIO;
			break;
		}
		at = check_pattern(buf, n, SEED_OTHER + off / SZ_2M);
		if (at < 0)
			continue;
		bad = off + at;
		/* The read's pattern, at some 4 KiB offset of its own. */
		at &= ~(SZ_4K - 1);
		for (r = 0; r < SZ_2M && !*read_data; r += SZ_4K)
			*read_data = !memcmp(buf + at, ref + r, SZ_4K);
		break;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	free(ref);
	return bad;
}

/* The thread that gives the free space to the second file. */
struct filler {
	pthread_t thread;
	const char *path;
	size_t len;
	int ret;
};

static void *fill_later(void *arg)
{
	struct filler *f = arg;

	usleep(FILL_DELAY_MS * 1000);
	/* Blocks freed in a journal transaction are reused once it commits. */
	sync();
	f->ret = fill_free_space(f->path, &f->len);
	return NULL;
}

static void show_hazard(const struct dax_mount *m, const char *slow)
{
	char name[512], file[512], ballast[512], other[512], why[512] = "", took[32];
	const char *old = old_kernel();
	struct timespec zero = { 0, 0 };
	struct iocb cb, *cbs[1] = { &cb };
	long long resv = -1, none = 0;
	io_context_t ctx = 0;
	struct io_event ev;
	struct statvfs sv;
	bool waited = false, read_data = false, have_ctx = false;
	struct filler fill = { .ret = -EINVAL };
	uint8_t *map = NULL;
	double t0, t;
	long bad = -1;
	int fd = -1, sfd = -1, ret, err;

	snprintf(name, sizeof(name), "%s on %s (%s)", m->fs, m->dev, m->driver);
	snprintf(file, sizeof(file), "%s/demo-file", m->dir);
	snprintf(ballast, sizeof(ballast), "%s/demo-ballast", m->dir);
	snprintf(other, sizeof(other), "%s/demo-other", m->dir);

	/* Little free space, and all of it for the second file: it gets the freed blocks. */
	ret = ext4_resv(m, &resv, false);
	if (!ret && resv > 0)
		ret = ext4_resv(m, &none, true);
	if (ret) {
		snprintf(why, sizeof(why), "ext4's reserved_clusters of %s: %s", m->dev,
			 strerror(-ret));
		resv = -1;
		goto out;
	}
	fd = open(ballast, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || statvfs(m->dir, &sv)) {
		snprintf(why, sizeof(why), "ballast: %s", strerror(errno));
		goto out;
	}
	if ((unsigned long long)sv.f_bfree * sv.f_frsize > SPARE_FREE &&
	    fallocate(fd, 0, 0, (unsigned long long)sv.f_bfree * sv.f_frsize - SPARE_FREE)) {
		snprintf(why, sizeof(why), "ballast: %s", strerror(errno));
		goto out;
	}
	close(fd);

	/* The file: 2 MiB, mapped MAP_SHARED, written through the mapping. */
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, FILE_LEN)) {
		snprintf(why, sizeof(why), "%s: %s", file, strerror(errno));
		goto out;
	}
	map = dax_map(fd, FILE_LEN, DAX_PMD);
	if (!map) {
		snprintf(why, sizeof(why), "mmap: %s", strerror(errno));
		goto out;
	}
	fill_pattern(map, FILE_LEN, SEED_FILE);
	if (msync(map, FILE_LEN, MS_SYNC)) {
		snprintf(why, sizeof(why), "msync: %s", strerror(errno));
		goto out;
	}

	/* io_submit() returns with the file's DAX pages pinned and the bio queued. */
	sfd = open(slow, O_RDONLY | O_DIRECT);
	if (sfd < 0) {
		snprintf(why, sizeof(why), "%s: %s", slow, strerror(errno));
		goto out;
	}
	ret = io_setup(1, &ctx);
	if (ret) {
		snprintf(why, sizeof(why), "io_setup: %s", strerror(-ret));
		goto out;
	}
	have_ctx = true;
	io_prep_pread(&cb, sfd, map, FILE_LEN, 0);
	ret = io_submit(ctx, 1, cbs);
	if (ret != 1) {
		snprintf(why, sizeof(why), "io_submit: %s", ret < 0 ? strerror(-ret) : "nothing");
		goto out;
	}
	if (io_getevents(ctx, 0, 1, &ev, &zero) == 1) {
		snprintf(why, sizeof(why), "the read was not slow: is %s a dm-delay device?", slow);
		goto out;
	}

	/* Nobody maps the file any more; only the read holds its pages. */
	munmap(map, FILE_LEN);
	map = NULL;
	if (io_getevents(ctx, 0, 1, &ev, &zero) == 1) {
		/* Stalled past the delay: nothing would be shown. */
		ksft_test_result_skip("%s: %s\n", name,
				      "the read completed before the truncate started (a stalled guest?)");
		goto clean;
	}
	fill.path = other;
	ret = pthread_create(&fill.thread, NULL, fill_later, &fill);
	if (ret) {
		snprintf(why, sizeof(why), "pthread_create: %s", strerror(ret));
		goto out;
	}
	t0 = now_s();
	ret = ftruncate(fd, 0);
	err = errno;
	t = now_s() - t0;
	waited = io_getevents(ctx, 0, 1, &ev, &zero) == 1;
	pthread_join(fill.thread, NULL);
	if (ret) {
		snprintf(why, sizeof(why), "ftruncate: %s", strerror(err));
		goto out;
	}
	snprintf(took, sizeof(took), t < 0.1 ? "%.3f" : "%.2f", t);
	if (fill.ret) {
		snprintf(why, sizeof(why), "filling the free space: %s", strerror(-fill.ret));
		goto out;
	}
	if (!waited) {
		do {
			ret = io_getevents(ctx, 1, 1, &ev, NULL);
		} while (ret == -EINTR);
		if (ret != 1) {
			snprintf(why, sizeof(why), "waiting for the read: %s",
				 ret < 0 ? strerror(-ret) : "no event");
			goto out;
		}
	}
	if ((long)ev.res != (long)FILE_LEN) {
		snprintf(why, sizeof(why), "the read failed: %s",
			 (long)ev.res < 0 ? strerror(-(long)ev.res) : "short");
		goto out;
	}
	bad = other_changed(other, fill.len, &read_data, &err);
	if (err) {
		snprintf(why, sizeof(why), "reading the second file: %s", strerror(err));
		goto out;
	}
	snprintf(why, sizeof(why), "truncate %s %s s%s; %s", waited ? "waited" : "returned after",
		 took, waited ? " for the in-flight read" : "",
		 bad < 0 ? "no other file changed" :
		 read_data ? "the read's data landed in another file" : "another file changed");
	if (waited && bad < 0) {
		if (old) {
			ksft_print_msg("%s did not show the bug, as dax_inflight's truncate case does there\n",
				       old);
			ksft_test_result_fail("%s: %s\n", name, why);
		} else {
			ksft_test_result_pass("%s: %s\n", name, why);
		}
		goto clean;
	}
	if (bad >= 0)
		ksft_print_msg("%s: the %zu MiB file that took the free space %s from byte %ld\n",
			       name, fill.len >> 20,
			       read_data ? "holds the read's data" : "changed", bad);
	if (!waited)
		ksft_print_msg("%s: truncate returned while the read was still in flight\n", name);
	if (old) {
		/* The demonstration: an XFAIL, its description first. */
		allow_kernel_report(BUG_REPORT);
		ksft_print_msg("%s: the bug: truncate freed the blocks of pages that DMA still writes to (dax_layout_busy_page_range() skips files that nobody maps)\n",
			       old);
		ksft_inc_xfail_cnt();
		printf("ok %u %s: %s # XFAIL %s: the bug\n", ksft_test_num(), name, why, old);
		goto clean;
	}
	ksft_print_msg("the bug that the series fixes showed on this kernel\n");
	ksft_test_result_fail("%s: %s\n", name, why);
	goto clean;
out:
	ksft_test_result_fail("%s: %s\n", name, why[0] ? why : "failed");
clean:
	if (have_ctx)
		io_destroy(ctx);
	if (map)
		munmap(map, FILE_LEN);
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0)
		close(fd);
	unlink(file);
	unlink(ballast);
	unlink(other);
	ret = resv > 0 ? ext4_resv(m, &resv, true) : 0;
	if (ret)
		ksft_print_msg("putting ext4's reserved_clusters of %s back to %lld: %s\n",
			       m->dev, resv, strerror(-ret));
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *slow = getenv("DAXGUP_SLOW");
	int n = dax_mounts(mounts, MAX_MOUNTS), i, ret;
	void *pat = anon_buf(FILE_LEN);

	ksft_print_header();
	if (!n || !slow)
		ksft_exit_skip("no DAX filesystem or slow device (DAXGUP_MOUNTS, DAXGUP_SLOW)\n");
	ksft_set_plan(n);
	/* What the read carries: written at full speed, dm-delay delays reads only. */
	if (!pat)
		ksft_exit_fail_msg("out of memory\n");
	fill_pattern(pat, FILE_LEN, SEED_READ);
	ret = direct_pwrite(slow, pat, FILE_LEN, 0);
	if (ret)
		ksft_exit_fail_msg("writing %s: %s\n", slow, strerror(-ret));
	free(pat);
	for (i = 0; i < n; i++)
		show_hazard(&mounts[i], slow);
	ksft_finished();
}
