// SPDX-License-Identifier: GPL-2.0
/*
 * dax_odirect: O_DIRECT I/O whose user buffer is a MAP_SHARED mapping of a
 * file on a DAX filesystem, so the block layer pins DAX pages with GUP.
 *
 * Matrix: every DAX filesystem of the lab x {4 KiB PTE, 2 MiB PMD mapping}
 * x {read into the mapping, write from it} x {psync, io_uring, libaio}.
 * The other side of the I/O is the lab's scratch block device
 * (DAXGUP_SCRATCH).  Data is checked both ways: after a read, through the
 * mapping and through read(2) of the file; after a write, by reading the
 * device back into anonymous memory.  A PMD case fails if the mapping fell
 * back to PTEs, a PTE case if it got a PMD.
 */
#include <libaio.h>
#include <liburing.h>

#include "daxgup.h"

#define IO_LEN		SZ_2M
#define FILE_LEN	(2 * SZ_2M)

enum engine { ENG_PSYNC, ENG_IO_URING, ENG_LIBAIO, NR_ENGINES };
static const char * const engine_names[] = { "psync", "io_uring", "libaio" };

enum dir { DIR_READ, DIR_WRITE, NR_DIRS };
static const char * const dir_names[] = { "read", "write" };

/* One O_DIRECT transfer between @dev at @off and @buf, by @eng. */
static int do_io(enum engine eng, enum dir dir, int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = -1;

	switch (eng) {
	case ENG_PSYNC:
		n = dir == DIR_READ ? pread(fd, buf, len, off) : pwrite(fd, buf, len, off);
		if (n < 0)
			return -errno;
		break;
	case ENG_IO_URING: {
		struct io_uring ring;
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;
		int ret = io_uring_queue_init(4, &ring, 0);

		if (ret)
			return ret;
		sqe = io_uring_get_sqe(&ring);
		if (dir == DIR_READ)
			io_uring_prep_read(sqe, fd, buf, len, off);
		else
			io_uring_prep_write(sqe, fd, buf, len, off);
		ret = io_uring_submit(&ring);
		if (ret == 1)
			ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret >= 0) {
			n = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		io_uring_queue_exit(&ring);
		if (ret < 0)
			return ret;
		if (n < 0)
			return n;
		break;
	}
	case ENG_LIBAIO: {
		io_context_t ctx = 0;
		struct iocb cb, *cbs[1] = { &cb };
		struct io_event ev;
		int ret = io_setup(1, &ctx);

		if (ret)
			return ret;
		if (dir == DIR_READ)
			io_prep_pread(&cb, fd, buf, len, off);
		else
			io_prep_pwrite(&cb, fd, buf, len, off);
		ret = io_submit(ctx, 1, cbs);
		/*
		 * The wait is not restarted after a signal or task work (of an
		 * io_uring case run before): wait again, the I/O is still ours.
		 */
		if (ret == 1) {
			do {
				ret = io_getevents(ctx, 1, 1, &ev, NULL);
			} while (ret == -EINTR);
		}
		io_destroy(ctx);
		if (ret != 1)
			return ret < 0 ? ret : -EIO;
		n = (long)ev.res;
		if (n < 0)
			return n;
		break;
	}
	default:
		return -EINVAL;
	}
	return n == (ssize_t)len ? 0 : -EIO;
}

static void run_case(const struct dax_mount *m, enum dax_level level, enum dir dir,
		     enum engine eng, const char *dev, off_t off, uint32_t seed)
{
	char name[512], path[512], why[160] = "";
	uint8_t *map = NULL, *anon;
	long bad;
	int fd, dfd = -1, ret;

	snprintf(name, sizeof(name), "%s/%s/%s: O_DIRECT %s %s, %s-mapped DAX buffer (%s)",
		 m->fs, m->memmap, m->driver, engine_names[eng],
		 dir_names[dir], level_name(level), m->dev);
	snprintf(path, sizeof(path), "%s/odirect-%d", m->dir, getpid());
	anon = anon_buf(IO_LEN);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!anon || fd < 0 || fallocate(fd, 0, 0, FILE_LEN)) {
		snprintf(why, sizeof(why), "file setup: %s", strerror(errno));
		goto out;
	}
	map = dax_map(fd, FILE_LEN, level);
	if (!map) {
		snprintf(why, sizeof(why), "mmap: %s", strerror(errno));
		goto out;
	}
	/* Fault the whole file in before the I/O pins it. */
	memset(map, 0, FILE_LEN);
	if (!dax_level_ok(map, FILE_LEN, level, why, sizeof(why)))
		goto out;

	dfd = open(dev, O_RDWR | O_DIRECT);
	if (dfd < 0) {
		snprintf(why, sizeof(why), "open %s: %s", dev, strerror(errno));
		goto out;
	}
	if (dir == DIR_READ) {
		fill_pattern(anon, IO_LEN, seed);
		ret = direct_pwrite(dev, anon, IO_LEN, off);
		if (!ret)
			ret = do_io(eng, DIR_READ, dfd, map + SZ_2M / 2, IO_LEN, off);
		if (ret) {
			snprintf(why, sizeof(why), "read: %s", strerror(-ret));
			goto out;
		}
		bad = check_pattern(map + SZ_2M / 2, IO_LEN, seed);
		if (bad >= 0) {
			snprintf(why, sizeof(why), "mapping differs at byte %ld", bad);
			goto out;
		}
		memset(anon, 0, IO_LEN);
		if (pread(fd, anon, IO_LEN, SZ_2M / 2) != (ssize_t)IO_LEN ||
		    (bad = check_pattern(anon, IO_LEN, seed)) >= 0) {
			snprintf(why, sizeof(why), "file read back differs at byte %ld", bad);
			goto out;
		}
	} else {
		fill_pattern(map + SZ_2M / 2, IO_LEN, seed);
		ret = do_io(eng, DIR_WRITE, dfd, map + SZ_2M / 2, IO_LEN, off);
		if (!ret) {
			memset(anon, 0, IO_LEN);
			ret = direct_pread(dev, anon, IO_LEN, off);
		}
		if (ret) {
			snprintf(why, sizeof(why), "write: %s", strerror(-ret));
			goto out;
		}
		bad = check_pattern(anon, IO_LEN, seed);
		if (bad >= 0) {
			snprintf(why, sizeof(why), "device differs at byte %ld", bad);
			goto out;
		}
	}
	/* The I/O must not have changed how the range is mapped. */
	dax_level_ok(map, FILE_LEN, level, why, sizeof(why));
out:
	if (dfd >= 0)
		close(dfd);
	if (map)
		munmap(map, FILE_LEN);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(anon);
	report_case(name, why);
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *dev = getenv("DAXGUP_SCRATCH");
	int n = dax_mounts(mounts, MAX_MOUNTS), i, l, d, e, k = 0;

	ksft_print_header();
	if (!n || !dev)
		ksft_exit_skip("no DAX filesystem or scratch device (DAXGUP_MOUNTS, DAXGUP_SCRATCH)\n");
	ksft_set_plan(n * 2 * NR_DIRS * NR_ENGINES);
	for (i = 0; i < n; i++)
		for (l = DAX_PTE; l <= DAX_PMD; l++)
			for (d = 0; d < NR_DIRS; d++)
				for (e = 0; e < NR_ENGINES; e++, k++)
					run_case(&mounts[i], l, d, e, dev,
						 (off_t)(k % 64) * IO_LEN, 0x5eed0000 + k);
	ksft_finished();
}
