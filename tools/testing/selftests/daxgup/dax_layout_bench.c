// SPDX-License-Identifier: GPL-2.0
/*
 * dax_layout_bench: what a layout change of a DAX file costs when nothing
 * is pinned -- the price of the busy-page scans the series adds.
 *
 * For each DAX filesystem, a file of DAXGUP_BENCH_MB (default 1024) MiB is
 * allocated and written, optionally mapped and faulted in with PMDs and
 * unmapped again (so its mapping holds DAX entries to scan), synced, then
 * truncated to 0 or hole-punched whole.  Each (mount, state, op) is repeated
 * DAXGUP_BENCH_REPS (default 9) times; the median, min and max of the
 * syscall's time are printed, and one JSON object per line prefixed with
 * "# json: ".  A benchmark, not an assertion: a case fails only when a
 * syscall does.
 *
 * DAXGUP_BENCH_STATE and DAXGUP_BENCH_OP (a state or op name) restrict the
 * run to one state or op.  With DAXGUP_BENCH_PERF_CTL and
 * DAXGUP_BENCH_PERF_ACK, the control and ack FIFOs of a "perf record
 * --control" started with its events disabled, perf is enabled around each
 * timed syscall only (bench_layout_profile.sh).
 */
#include <poll.h>
#include <time.h>
#include <sys/utsname.h>
#include <linux/falloc.h>

#include "daxgup.h"

enum state { NEVER_MAPPED, WAS_MAPPED, NR_STATES };
static const char * const state_names[] = { "never-mapped", "was-mapped" };
enum op { OP_TRUNCATE, OP_PUNCH, NR_OPS };
static const char * const op_names[] = { "truncate", "punch" };

/* perf's control and ack FIFOs, or -1; the time perf was enabled, in us. */
static int perf_ctl = -1, perf_ack = -1;
static double perf_enabled_us;

/* How long perf gets to answer a command. */
#define PERF_ACK_MS	30000

/* Send @cmd to perf and wait for its ack; 0 or -errno. */
static int perf_command(const char *cmd)
{
	struct pollfd pfd = { .fd = perf_ack, .events = POLLIN };
	size_t len = strlen(cmd);
	char ack[16];
	ssize_t n;

	if (perf_ctl < 0)
		return 0;
	if (write(perf_ctl, cmd, len) != (ssize_t)len)
		return -EIO;
	n = poll(&pfd, 1, PERF_ACK_MS);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	n = read(perf_ack, ack, sizeof(ack) - 1);
	if (n < 4 || strncmp(ack, "ack\n", 4))
		return -EPROTO;
	return 0;
}

/*
 * Open the FIFOs named by the environment, if any; 0 or -errno.  The
 * control FIFO is opened without blocking: ENXIO if perf does not have it
 * open, rather than a wait for a perf that is not there.
 */
static int perf_open(void)
{
	const char *ctl = getenv("DAXGUP_BENCH_PERF_CTL");
	const char *ack = getenv("DAXGUP_BENCH_PERF_ACK");

	if (!ctl && !ack)
		return 0;
	if (!ctl || !ack)
		return -EINVAL;
	/* perf going away must fail a command, not kill the bench */
	signal(SIGPIPE, SIG_IGN);
	perf_ctl = open(ctl, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (perf_ctl < 0)
		return -errno;
	perf_ack = open(ack, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (perf_ack < 0 || fcntl(perf_ctl, F_SETFL, 0))
		return -errno;
	return 0;
}

/* Whether the environment variable @var, if set, names @name. */
static bool selected(const char *var, const char *name)
{
	const char *v = getenv(var);

	return !v || !*v || !strcmp(v, name);
}

/* One timed run; the time in us, or a negative errno. */
static double one_run(const char *path, size_t len, enum state st, enum op op)
{
	size_t off, chunk = SZ_2M;
	void *buf = anon_buf(chunk);
	double t0, t1;
	int fd, ret;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	memset(buf, 0xa5, chunk);
	for (off = 0; off < len; off += chunk)
		if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk)
			goto fail;
	if (st == WAS_MAPPED) {
		uint8_t *p = dax_map(fd, len, DAX_PMD);

		if (!p)
			goto fail;
		for (off = 0; off < len; off += SZ_2M)
			((volatile uint8_t *)p)[off];
		munmap(p, len);
	}
	/*
	 * Time the layout change alone: the journal commit of the writes and,
	 * on xfs, the background freeing of the previous run's file must not
	 * run into it.
	 */
	if (syncfs(fd))
		goto fail;
	ret = perf_command("enable\n");
	if (ret)
		ksft_exit_fail_msg("perf enable: %s\n", strerror(-ret));
	t0 = now_us();
	if (op == OP_TRUNCATE)
		ret = ftruncate(fd, 0);
	else
		ret = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, len);
	t1 = now_us();
	if (ret)
		ret = -errno;
	if (perf_ctl >= 0) {
		int err = perf_command("disable\n");

		if (err)
			ksft_exit_fail_msg("perf disable: %s\n", strerror(-err));
		perf_enabled_us += now_us() - t0;
	}
	if (ret) {
		errno = -ret;
		goto fail;
	}
	close(fd);
	unlink(path);
	free(buf);
	return t1 - t0;
fail:
	ret = -errno;
	close(fd);
	unlink(path);
	free(buf);
	return ret;
}

int main(void)
{
	struct dax_mount mounts[MAX_MOUNTS];
	const char *mb = getenv("DAXGUP_BENCH_MB"), *r = getenv("DAXGUP_BENCH_REPS");
	size_t len = (mb ? strtoul(mb, NULL, 0) : 1024) << 20;
	int reps = r ? atoi(r) : 9, n = dax_mounts(mounts, MAX_MOUNTS), i, s, o, k;
	int nr_states = 0, nr_ops = 0;
	char perf_json[64] = "";
	double t[64];
	struct utsname u;

	ksft_print_header();
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	if (reps < 1 || reps > 64)
		reps = 9;
	for (s = 0; s < NR_STATES; s++)
		nr_states += selected("DAXGUP_BENCH_STATE", state_names[s]);
	for (o = 0; o < NR_OPS; o++)
		nr_ops += selected("DAXGUP_BENCH_OP", op_names[o]);
	if (!nr_states || !nr_ops)
		ksft_exit_fail_msg("DAXGUP_BENCH_STATE or DAXGUP_BENCH_OP names nothing known\n");
	k = perf_open();
	if (k)
		ksft_exit_fail_msg("perf control FIFOs: %s\n", strerror(-k));
	uname(&u);
	ksft_set_plan(n * nr_states * nr_ops);
	for (i = 0; i < n; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/layout-bench", mounts[i].dir);
		for (s = 0; s < NR_STATES; s++)
			for (o = 0; o < NR_OPS; o++) {
				char name[512];

				if (!selected("DAXGUP_BENCH_STATE", state_names[s]) ||
				    !selected("DAXGUP_BENCH_OP", op_names[o]))
					continue;

				snprintf(name, sizeof(name), "%s/%s/%s: %s %zu MiB %s file",
					 mounts[i].fs, mounts[i].memmap, mounts[i].driver,
					 op_names[o], len >> 20, state_names[s]);
				for (k = 0; k < reps; k++) {
					t[k] = one_run(path, len, s, o);
					if (t[k] < 0)
						break;
				}
				if (k < reps) {
					ksft_print_msg("%s\n", strerror((int)-t[k]));
					ksft_test_result_fail("%s\n", name);
					continue;
				}
				qsort(t, reps, sizeof(t[0]), cmp_double);
				if (perf_ctl >= 0)
					snprintf(perf_json, sizeof(perf_json),
						 ", \"perf_enabled_us\": %.1f", perf_enabled_us);
				ksft_print_msg("json: {\"kernel\": \"%s\", \"fs\": \"%s\", \"memmap\": \"%s\", \"driver\": \"%s\", \"op\": \"%s\", \"state\": \"%s\", \"mib\": %zu, \"reps\": %d, \"median_us\": %.1f, \"min_us\": %.1f, \"max_us\": %.1f%s}\n",
					       u.release, mounts[i].fs, mounts[i].memmap, mounts[i].driver,
					       op_names[o], state_names[s], len >> 20, reps,
					       t[reps / 2], t[0], t[reps - 1], perf_json);
				perf_enabled_us = 0;
				ksft_test_result_pass("%s: median %.0f us (min %.0f, max %.0f, %d runs)\n",
						      name, t[reps / 2], t[0], t[reps - 1], reps);
			}
	}
	ksft_finished();
}
