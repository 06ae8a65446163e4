// SPDX-License-Identifier: GPL-2.0
/*
 * dax_hwpoison: a DAX page that fails while it is long-term pinned.
 *
 * On each DAX filesystem of the lab, a holder child registers 2 MiB of a
 * MAP_SHARED, PMD-mapped file as an io_uring fixed buffer (a long-term
 * write pin of all its pages) and a bystander child, which asked for
 * early kill (PR_MCE_KILL_EARLY), maps the file and loads from the page
 * that will fail.  The holder then injects a memory failure into that
 * page, inside the pinned range, with MADV_HWPOISON.  For a DAX page
 * memory_failure() unmaps the page from every process and kills those it
 * signals (MF_MUST_KILL: there is no other page to give them): the
 * holder, which consumed the failure (BUS_MCEERR_AR), and the bystander
 * (BUS_MCEERR_AO) must die of SIGBUS, and the kernel must go on with no
 * report.  The ring goes with the holder, so its pin does too: the file
 * leaves the list of long-term pinned files, and truncates.
 *
 * A process that did not ask for early kill is not signalled: it gets
 * SIGBUS when it touches the page again, through the bad block the
 * platform reports with a real machine check.  MADV_HWPOISON drives the
 * memory failure handler only and the namespace records no bad block, so
 * in the lab such a process would read the page again: not checked.  The
 * page stays marked HWPoison until its namespace goes, so the suite runs
 * this last before the namespaces are disabled and enabled again.
 *
 * Kernels without long-term pins of DAX files refuse the registration
 * (EOPNOTSUPP).
 */
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "daxgup.h"

#define BUF_LEN		SZ_2M
#define BAD_OFF		(3 * SZ_4K)	/* the page that fails */
#define DEATH_SECS	30

static const char *cur;

/* Wait up to DEATH_SECS for @pid; true with its @status if it ended. */
static bool reap(pid_t pid, int *status)
{
	int i;

	for (i = 0; i < DEATH_SECS * 100; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return false;
}

/* What a child said on @fd within @secs (at most @len - 1 bytes); "" if nothing. */
static void child_said(int fd, int secs, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n = 0;

	if (poll(&pfd, 1, secs * 1000) == 1)
		n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
}

/* Did @pid die of SIGBUS?  Says what it did otherwise, and what it said on @rfd. */
static bool died_of_sigbus(pid_t pid, const char *who, int rfd, char *said, size_t len)
{
	int status;

	said[0] = 0;
	if (!reap(pid, &status)) {
		ksft_print_msg("%s: still alive %d s after the failure, killed\n", who,
			       DEATH_SECS);
		return false;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		return true;
	if (rfd >= 0)
		child_said(rfd, 0, said, len);
	ksft_print_msg("%s: %s %d, not killed by SIGBUS%s%s\n", who,
		       WIFSIGNALED(status) ? "killed by signal" : "exit status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		       said[0] ? "; it said: " : "", said);
	return false;
}

/* A child that may die of SIGBUS: no core file, and gone with the test. */
static void dying_child(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/*
 * The holder: pins @map with io_uring, says "p" (or "n<errno name>") on
 * @out, then on a byte on @go poisons the page at BAD_OFF; were it to
 * live on, it says so on @out and loads from the page.
 */
static __noreturn void holder(uint8_t *map, int out, int go)
{
	struct iovec iov = { .iov_base = map, .iov_len = BUF_LEN };
	struct io_uring_params p = { 0 };
	char msg[64] = "p";
	int ring;

	dying_child();
	ring = syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0 || syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1))
		snprintf(msg, sizeof(msg), "n%s", errno_name(errno));
	if (write(out, msg, strlen(msg)) < 0 || msg[0] != 'p' || read(go, msg, 1) != 1)
		_exit(1);
	if (madvise(map + BAD_OFF, SZ_4K, MADV_HWPOISON)) {
		snprintf(msg, sizeof(msg), "MADV_HWPOISON failed: %s", errno_name(errno));
		if (write(out, msg, strlen(msg)) < 0)
			_exit(1);
		_exit(2);
	}
	snprintf(msg, sizeof(msg), "MADV_HWPOISON returned, then a load from the page read %#x",
		 *(volatile uint8_t *)(map + BAD_OFF));
	if (write(out, msg, strlen(msg)) < 0)
		_exit(1);
	_exit(0);
}

/*
 * The bystander: asks for early kill, maps the file and loads from the
 * page that will fail, says "m" (or why not) on @out, and waits.
 */
static __noreturn void bystander(int fd, const uint8_t *want, int out)
{
	char msg[160] = "m";
	size_t pmd, pte;
	uint8_t *map;

	dying_child();
	if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0)) {
		snprintf(msg, sizeof(msg), "PR_MCE_KILL_EARLY: %s", errno_name(errno));
	} else {
		map = dax_map(fd, BUF_LEN, DAX_PMD);
		if (!map)
			snprintf(msg, sizeof(msg), "mapping the file: %s", errno_name(errno));
		else if (map[BAD_OFF] != want[BAD_OFF])
			snprintf(msg, sizeof(msg), "the mapping does not read the file's data");
		else if (mapped_bytes(map + BAD_OFF, SZ_4K, &pmd, &pte) || pmd + pte < SZ_4K)
			snprintf(msg, sizeof(msg), "the page is not mapped after a load from it");
	}
	if (write(out, msg, strlen(msg)) == (ssize_t)strlen(msg) && msg[0] == 'm')
		pause();
	_exit(1);
}

static void run_mount(const struct dax_mount *m, unsigned int seed)
{
	char path[300], line[512], msg[160], name[4][200];
	int fd, rp[2] = { -1, -1 }, gp[2] = { -1, -1 }, bp[2], i, ret;
	pid_t hold = -1, by;
	struct stat st;
	uint8_t *buf;
	bool ok;

	snprintf(name[0], sizeof(name[0]), "%s: io_uring registers a buffer in a DAX file", cur);
	snprintf(name[1], sizeof(name[1]),
		 "%s: MADV_HWPOISON of a long-term pinned page kills its holder with SIGBUS", cur);
	snprintf(name[2], sizeof(name[2]),
		 "%s: the failure kills another process that maps the page (early kill) with SIGBUS",
		 cur);
	snprintf(name[3], sizeof(name[3]),
		 "%s: the dead holder's pin goes, the file truncates", cur);
	snprintf(path, sizeof(path), "%s/dax_hwpoison.%d", m->dir, getpid());
	buf = anon_buf(BUF_LEN);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!buf || fd < 0 || fstat(fd, &st))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	fill_pattern(buf, BUF_LEN, seed);
	if (pwrite(fd, buf, BUF_LEN, 0) != (ssize_t)BUF_LEN || fsync(fd))
		ksft_exit_fail_msg("writing %s: %s\n", path, strerror(errno));

	/* Each child gets only its own pipe, so that its death closes it. */
	if (pipe(bp))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	fflush(stdout);
	by = fork();
	if (by < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!by) {
		close(bp[0]);
		bystander(fd, buf, bp[1]);
	}
	close(bp[1]);
	child_said(bp[0], DEATH_SECS, msg, sizeof(msg));
	if (msg[0] != 'm')
		ksft_exit_fail_msg("%s: the bystander: %s\n", cur, msg[0] ? msg : "no answer");

	if (pipe(rp) || pipe(gp))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	fflush(stdout);
	hold = fork();
	if (hold < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!hold) {
		uint8_t *map = dax_map(fd, BUF_LEN, DAX_PMD);

		close(bp[0]);
		close(rp[0]);
		close(gp[1]);
		if (!map)
			_exit(1);
		holder(map, rp[1], gp[0]);
	}
	close(rp[1]);
	close(gp[0]);
	child_said(rp[0], DEATH_SECS, msg, sizeof(msg));
	if (msg[0] != 'p') {
		ksft_print_msg("IORING_REGISTER_BUFFERS of a DAX file: long-term pin refused: %s\n",
			       msg[0] ? msg + 1 : "no answer from the child");
		ksft_test_result_fail("%s\n", name[0]);
		for (i = 1; i < 4; i++)
			ksft_test_result_skip("%s (not pinned)\n", name[i]);
		goto out;
	}
	ok = longterm_line(path, st.st_ino, line, sizeof(line));
	if (ok)
		ksft_print_msg("%s\n", line);
	else
		ksft_print_msg("%s does not list %s\n", LONGTERM_PINS, path);
	ksft_test_result(ok && longterm_field(line, " write=") == BUF_LEN / SZ_4K, "%s\n",
			 name[0]);

	if (write(gp[1], "g", 1) != 1)
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	ok = died_of_sigbus(hold, "the holder", rp[0], msg, sizeof(msg));
	hold = -1;
	if (!ok && (strstr(msg, "failed: EPERM") || strstr(msg, "failed: EINVAL"))) {
		/* Not root, or no CONFIG_MEMORY_FAILURE: nothing was injected. */
		for (i = 1; i < 4; i++)
			ksft_test_result_skip("%s (%s)\n", name[i], msg);
		goto out;
	}
	ksft_test_result(ok, "%s\n", name[1]);
	ksft_test_result(died_of_sigbus(by, "the bystander", -1, msg, sizeof(msg)), "%s\n",
			 name[2]);
	by = -1;

	ok = longterm_gone(path, st.st_ino);
	ret = ftruncate(fd, 0);
	if (ret)
		ksft_print_msg("ftruncate(0) after the holder's death: %s\n", strerror(errno));
	ksft_test_result(ok && !ret, "%s\n", name[3]);
out:
	for (i = 0; i < 2; i++) {
		pid_t pid = i ? hold : by;

		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	if (rp[0] >= 0)
		close(rp[0]);
	if (gp[1] >= 0)
		close(gp[1]);
	close(bp[0]);
	close(fd);
	unlink(path);
	free(buf);
}

int main(void)
{
	struct dax_mount m[MAX_MOUNTS];
	int n = dax_mounts(m, MAX_MOUNTS), i;
	char name[MAX_MOUNTS][96];

	ksft_print_header();
	/* A holder that died early must not take the test with it. */
	signal(SIGPIPE, SIG_IGN);
	if (!n)
		ksft_exit_skip("no DAX filesystem (DAXGUP_MOUNTS)\n");
	ksft_set_plan(n * 4);
	for (i = 0; i < n; i++) {
		mount_label(&m[i], name[i], sizeof(name[i]));
		cur = name[i];
		run_mount(&m[i], i + 1);
	}
	ksft_finished();
}
