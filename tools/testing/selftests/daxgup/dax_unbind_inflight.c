// SPDX-License-Identifier: GPL-2.0
/*
 * dax_unbind_inflight: unbinding the pmem driver while O_DIRECT DMA into a
 * DAX page of its device is in flight must wait for the DMA, and must not
 * crash the kernel.
 *
 * An O_DIRECT read (libaio) from a slow device (dm-delay, DAXGUP_SLOW)
 * into a MAP_SHARED mapping of a file on the DAX filesystem at DAXGUP_DIR
 * pins the device's pages.  A child process then writes the device's name
 * to the driver's sysfs unbind file.  Correct: the unbind returns only after
 * the read's completion event is posted, the read lands, and the kernel
 * survives.  On 6.12 with nd_pmem the kernel oopses in _copy_to_iter()
 * when the read lands: memunmap_pages() does not wait for pinned FS_DAX
 * pages.  That crash ends the boot; the lab reports it as the known bug.
 *
 * This test takes the filesystem's device away: it runs last, alone.
 */
#include <libaio.h>
#include <signal.h>
#include <sys/wait.h>

#include "daxgup.h"

#define LEN	SZ_2M

/* The last component of the symlink at @path. */
static int link_name(const char *path, char *out, size_t outlen)
{
	char link[512];
	ssize_t n = readlink(path, link, sizeof(link) - 1);

	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(out, outlen, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	return 0;
}

/* The nd device (pfnX.Y) behind /dev/<blockdev>, and its driver. */
static int nd_device(const char *blockdev, char *dev, size_t devlen, char *drv, size_t drvlen)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "/sys/block/%s/device", blockdev);
	ret = link_name(path, dev, devlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", dev);
	return link_name(path, drv, drvlen);
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *slow = getenv("DAXGUP_SLOW"), *want = getenv("DAXGUP_UNBIND_FS");
	char file[512], ndev[64], drv[64], unbind[256], name[512], why[256] = "";
	struct iocb cb, *cbs[1] = { &cb };
	struct timespec zero = { 0, 0 };
	io_context_t ctx = 0;
	struct io_event ev;
	int n = dax_mounts(mounts, MAX_MOUNTS), i, fd, sfd, status, reaped = 0;
	bool unbound_first = false;
	pid_t child;
	void *map, *pat;

	ksft_print_header();
	for (i = 0; i < n; i++)
		if (!want || !strcmp(mounts[i].fs, want))
			break;
	if (i == n || !slow)
		ksft_exit_skip("no DAX filesystem%s%s or slow device\n",
			       want ? " of type " : "", want ? want : "");
	ksft_set_plan(1);
	if (nd_device(mounts[i].dev, ndev, sizeof(ndev), drv, sizeof(drv)))
		ksft_exit_fail_msg("no nd device behind %s\n", mounts[i].dev);
	snprintf(name, sizeof(name), "%s/%s/%s: unbind %s while O_DIRECT DMA into its DAX pages is in flight",
		 mounts[i].fs, mounts[i].memmap, drv, ndev);
	snprintf(unbind, sizeof(unbind), "/sys/bus/nd/drivers/%s/unbind", drv);
	snprintf(file, sizeof(file), "%s/unbind-victim", mounts[i].dir);

	pat = anon_buf(LEN);
	fill_pattern(pat, LEN, 0xb1d);
	if (direct_pwrite(slow, pat, LEN, 0))
		ksft_exit_fail_msg("writing %s: %s\n", slow, strerror(errno));
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, LEN))
		ksft_exit_fail_msg("%s: %s\n", file, strerror(errno));
	map = dax_map(fd, LEN, DAX_PMD);
	sfd = open(slow, O_RDONLY | O_DIRECT);
	if (!map || sfd < 0 || io_setup(1, &ctx))
		ksft_exit_fail_msg("map/open/io_setup: %s\n", strerror(errno));
	memset(map, 0, LEN);
	io_prep_pread(&cb, sfd, map, LEN, 0);
	if (io_submit(ctx, 1, cbs) != 1)
		ksft_exit_fail_msg("io_submit failed\n");
	ksft_print_msg("read in flight into %s, unbinding %s from %s\n", file, ndev, drv);
	fflush(stdout);

	child = fork();
	if (!child) {
		int ufd = open(unbind, O_WRONLY);

		_exit(ufd < 0 || write(ufd, ndev, strlen(ndev)) < 0 ? 1 : 0);
	}
	/* Whichever ends first: the unbind must not. */
	for (;;) {
		if (io_getevents(ctx, 0, 1, &ev, &zero) == 1) {
			reaped = 1;
			break;
		}
		if (waitpid(child, &status, WNOHANG) == child) {
			unbound_first = io_getevents(ctx, 0, 1, &ev, &zero) != 1;
			reaped = !unbound_first;
			child = 0;
			break;
		}
		usleep(10000);
	}
	if (!reaped)
		reaped = io_getevents(ctx, 1, 1, &ev, NULL) == 1;
	if (child)
		waitpid(child, &status, 0);
	if (unbound_first)
		snprintf(why, sizeof(why), "the unbind returned while the DMA was in flight");
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		snprintf(why, sizeof(why), "writing %s failed", unbind);
	else if (!reaped || (long)ev.res != (long)LEN)
		snprintf(why, sizeof(why), "the read failed: %ld", reaped ? (long)ev.res : 0L);
	else if (check_pattern(map, LEN, 0xb1d) >= 0)
		snprintf(why, sizeof(why), "the read's data is not in the buffer");
	report_case(name, why);
	/* The device is gone: the mapping now SIGBUSes, do not touch it. */
	signal(SIGBUS, SIG_IGN);
	ksft_finished();
}
