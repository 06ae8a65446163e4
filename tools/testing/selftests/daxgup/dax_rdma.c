// SPDX-License-Identifier: GPL-2.0
/*
 * dax_rdma: RDMA memory regions in DAX files, through soft-RoCE.
 *
 * On each DAX filesystem of the lab: register a memory region (MR) in a
 * MAP_SHARED mapping of a file, RDMA-write into it and RDMA-read from it
 * over a reliable connection between two queue pairs of one rxe device
 * (DAXGUP_RXE, set up by dax_rdma.sh over a veth pair), and check what the
 * contract of long-term pins says: the pages are pinned and listed, layout
 * changes over them fail with ETXTBSY, fsync flushes what the peer wrote,
 * the data is in the file after the MR is gone, a reader of the file cannot
 * pin it (EPERM), rxe's IB_ACCESS_FLUSH_PERSISTENT accepts the pages as
 * persistent memory, and a process that dies with an MR leaves no pin.
 *
 * rxe registers through ib_umem_get(): pin_user_pages_fast(FOLL_LONGTERM),
 * which kernels without the series refuse for DAX files (EOPNOTSUPP).
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <infiniband/verbs.h>

#include "daxgup.h"

#define BUF_LEN		SZ_2M
#define WRITE_OFF	(512UL << 10)
#define WRITE_LEN	(1UL << 20)
#define READ_LEN	(64UL << 10)
/* IB_UVERBS_ACCESS_FLUSH_PERSISTENT: the kernel has it, rdma-core 44 not. */
#define ACCESS_FLUSH_PERSISTENT	(1 << 9)
#define RW_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

struct rdma {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qa, *qb;		/* qa sends, qb answers (the peer) */
	union ibv_gid gid;
	int gid_idx;
};

static const char *dev_name;

static struct ibv_context *open_dev(void)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), dev_name))
			ctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	return ctx;
}

/*
 * The RoCEv2 GID of the device's IPv4 address (dax_rdma.sh waits for it):
 * the IPv6 link-local one may still be tentative.
 */
static int pick_gid(struct rdma *r)
{
	static const uint8_t v4[12] = { [10] = 0xff, [11] = 0xff };
	struct ibv_port_attr pa;
	union ibv_gid g;
	int i;

	if (ibv_query_port(r->ctx, 1, &pa))
		return -1;
	for (i = 0; i < pa.gid_tbl_len; i++) {
		if (ibv_query_gid(r->ctx, 1, i, &g))
			break;
		if (!memcmp(g.raw, v4, sizeof(v4))) {
			r->gid = g;
			r->gid_idx = i;
			return 0;
		}
	}
	return -1;
}

static struct ibv_qp *make_qp(struct rdma *r)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = r->cq, .recv_cq = r->cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = RW_ACCESS,
	};
	struct ibv_qp *qp = ibv_create_qp(r->pd, &ia);

	if (qp && ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				IBV_QP_PORT | IBV_QP_ACCESS_FLAGS)) {
		ibv_destroy_qp(qp);
		return NULL;
	}
	return qp;
}

static int connect_qp(struct rdma *r, struct ibv_qp *qp, uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = dest, .max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .dgid = r->gid, .sgid_index = r->gid_idx,
				      .hop_limit = 1 } },
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			     IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

static int rdma_open(struct rdma *r, char *why, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->ctx = open_dev();
	if (!r->ctx) {
		snprintf(why, len, "no RDMA device %s", dev_name);
		return -1;
	}
	r->pd = ibv_alloc_pd(r->ctx);
	r->cq = r->pd ? ibv_create_cq(r->ctx, 16, NULL, NULL, 0) : NULL;
	if (!r->cq || pick_gid(r)) {
		snprintf(why, len, "%s: no PD, CQ or IPv4 GID", dev_name);
		return -1;
	}
	r->qa = make_qp(r);
	r->qb = make_qp(r);
	if (!r->qa || !r->qb || connect_qp(r, r->qa, r->qb->qp_num) ||
	    connect_qp(r, r->qb, r->qa->qp_num)) {
		snprintf(why, len, "%s: connecting two RC queue pairs (GID %d): %s",
			 dev_name, r->gid_idx, strerror(errno));
		return -1;
	}
	return 0;
}

static void rdma_close(struct rdma *r)
{
	if (r->qa)
		ibv_destroy_qp(r->qa);
	if (r->qb)
		ibv_destroy_qp(r->qb);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->ctx)
		ibv_close_device(r->ctx);
}

/* One signalled RDMA WRITE or READ from qa, answered by qb; 0 or -1. */
static int rdma_op(struct rdma *r, enum ibv_wr_opcode op, struct ibv_mr *lmr,
		   void *laddr, void *raddr, uint32_t rkey, size_t len,
		   char *why, size_t whylen)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)laddr, .length = len, .lkey = lmr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 1, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)raddr, .rkey = rkey },
	}, *bad;
	struct ibv_wc wc;
	int i, n = 0;

	if (ibv_post_send(r->qa, &wr, &bad)) {
		snprintf(why, whylen, "ibv_post_send: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 30000 && !n; i++) {
		n = ibv_poll_cq(r->cq, 1, &wc);
		if (!n)
			usleep(1000);
	}
	if (n != 1) {
		snprintf(why, whylen, "no completion within 30 s (poll %d)", n);
		return -1;
	}
	if (wc.status != IBV_WC_SUCCESS) {
		snprintf(why, whylen, "completion: %s", ibv_wc_status_str(wc.status));
		return -1;
	}
	return 0;
}

/* In the killed child: register an MR over @map, on a device of its own. */
static int child_pin(void *arg, void *map)
{
	char why[256];
	struct rdma r;

	if (rdma_open(&r, why, sizeof(why))) {
		ksft_print_msg("child: %s\n", why);
		return -1;
	}
	if (ibv_reg_mr(r.pd, map, BUF_LEN, RW_ACCESS))
		return 0;
	ksft_print_msg("child: ibv_reg_mr: long-term pin refused: %s (%s)\n",
		       errno_name(errno), strerror(errno));
	return -1;
}

struct mnt {
	struct dax_mount m;
	char name[96];		/* "ext4/mem/nd_pmem" */
};

static int ncase;

static void result(bool ok, const struct mnt *mt, const char *what)
{
	ncase++;
	ksft_test_result(ok, "%s: %s\n", mt->name, what);
}

static void skip(const struct mnt *mt, const char *what, const char *why)
{
	ncase++;
	ksft_test_result_skip("%s: %s (%s)\n", mt->name, what, why);
}

#define NCASES_PER_MOUNT 14

/* Cases that need the MR of case 1; skipped without it. */
static const char * const held_cases[] = {
	"the listing shows the pinned file, its pages and the registering task",
	"an RDMA WRITE from the peer into the file's memory region completes",
	"fsync after the RDMA WRITE flushes the write-pinned range",
	"truncate under the memory region fails with ETXTBSY, size unchanged",
	"punch hole under the memory region fails with ETXTBSY",
	"an RDMA READ by the peer returns the file's data",
	"ibv_dereg_mr succeeds and the listing drops the file",
	"after the memory region is gone the file holds what the peer wrote",
	"truncate works after the memory region is gone",
};

static void run_mount(struct mnt *mt)
{
	char path[300], why[256], line[512];
	struct ibv_mr *mr = NULL, *smr = NULL, *xmr;
	struct rdma r;
	uint8_t *map = NULL, *src = NULL, *got = NULL;
	unsigned int seed = ncase + 1;
	struct stat st;
	ssize_t d;
	long flushes;
	int fd, i, k = 0;

	snprintf(path, sizeof(path), "%s/dax_rdma.%d", mt->m.dir, getpid());
	if (rdma_open(&r, why, sizeof(why))) {
		for (i = 0; i < NCASES_PER_MOUNT; i++) {
			ncase++;
			ksft_print_msg("%s\n", why);
			ksft_test_result_fail("%s: case %d: no soft-RoCE connection\n",
					      mt->name, i + 1);
		}
		rdma_close(&r);
		return;
	}
	src = aligned_alloc(SZ_4K, BUF_LEN);
	got = aligned_alloc(SZ_4K, BUF_LEN);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !src || !got || fstat(fd, &st))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	/* The file written whole first: pattern seed + 0. */
	fill_pattern(src, BUF_LEN, seed);
	if (pwrite(fd, src, BUF_LEN, 0) != (ssize_t)BUF_LEN || fsync(fd))
		ksft_exit_fail_msg("writing %s: %s\n", path, strerror(errno));
	map = dax_map(fd, BUF_LEN, DAX_PMD);
	smr = ibv_reg_mr(r.pd, src, BUF_LEN, RW_ACCESS);
	if (!map || !smr)
		ksft_exit_fail_msg("mapping %s or registering anonymous memory: %s\n",
				   path, strerror(errno));

	/* 1: the registration itself. */
	mr = ibv_reg_mr(r.pd, map, BUF_LEN, RW_ACCESS);
	if (!mr)
		ksft_print_msg("ibv_reg_mr of a DAX file: long-term pin refused: %s (%s)\n",
			       errno_name(errno), strerror(errno));
	result(mr, mt, "an RDMA memory region in a MAP_SHARED mapping of a DAX file registers (read/write)");
	if (!mr) {
		for (i = 0; i < (int)ARRAY_SIZE(held_cases); i++)
			skip(mt, held_cases[i], "no memory region");
		goto others;
	}

	/* 2: listed. */
	if (!longterm_line(path, st.st_ino, line, sizeof(line)))
		ksft_print_msg("no line for %s (ino=%lu) in %s\n", path,
			       (unsigned long)st.st_ino, LONGTERM_PINS);
	else
		ksft_print_msg("%s\n", line);
	result(longterm_line(path, st.st_ino, line, sizeof(line)) &&
	       longterm_field(line, "pages=") == BUF_LEN / SZ_4K &&
	       longterm_field(line, "write=") == BUF_LEN / SZ_4K &&
	       strstr(line, "comm=dax_rdma") &&
	       longterm_field(line, " pid=") == getpid(), mt, held_cases[k++]);
	flushes = longterm_line(path, st.st_ino, line, sizeof(line)) ?
		  longterm_field(line, "flushes=") : -1;

	/* 3: the peer writes 1 MiB of pattern seed + 1 into the file. */
	fill_pattern(src, WRITE_LEN, seed + 1);
	i = rdma_op(&r, IBV_WR_RDMA_WRITE, smr, src, map + WRITE_OFF, mr->rkey,
		    WRITE_LEN, why, sizeof(why));
	if (i)
		ksft_print_msg("RDMA WRITE: %s\n", why);
	result(!i, mt, held_cases[k++]);

	/* 4: fsync counts a flush of the write-pinned pages. */
	i = fsync(fd);
	if (longterm_line(path, st.st_ino, line, sizeof(line)))
		ksft_print_msg("flushes before fsync %ld, after: %ld\n", flushes,
			       longterm_field(line, "flushes="));
	result(!i && flushes >= 0 && longterm_line(path, st.st_ino, line, sizeof(line)) &&
	       longterm_field(line, "flushes=") > flushes, mt, held_cases[k++]);

	/* 5, 6: layout changes refused at once. */
	i = ftruncate(fd, 0);
	if (!i || errno != ETXTBSY)
		ksft_print_msg("ftruncate(0): %s\n", i ? strerror(errno) : "succeeded");
	result(i && errno == ETXTBSY && !fstat(fd, &st) && st.st_size == BUF_LEN,
	       mt, held_cases[k++]);
	i = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, SZ_4K);
	if (!i || errno != ETXTBSY)
		ksft_print_msg("punch hole: %s\n", i ? strerror(errno) : "succeeded");
	result(i && errno == ETXTBSY, mt, held_cases[k++]);

	/* 7: the peer reads the first 64 KiB, rewritten with seed + 2. */
	fill_pattern(got, READ_LEN, seed + 2);
	if (pwrite(fd, got, READ_LEN, 0) != (ssize_t)READ_LEN)
		ksft_exit_fail_msg("pwrite: %s\n", strerror(errno));
	memset(src, 0, READ_LEN);
	i = rdma_op(&r, IBV_WR_RDMA_READ, smr, src, map, mr->rkey, READ_LEN,
		    why, sizeof(why));
	if (i)
		ksft_print_msg("RDMA READ: %s\n", why);
	d = i ? 0 : check_pattern(src, READ_LEN, seed + 2);
	if (d >= 0 && !i)
		ksft_print_msg("RDMA READ: byte %zd differs\n", d);
	result(!i && d < 0, mt, held_cases[k++]);

	/* 8: deregistration unpins; the listing drops the file. */
	i = ibv_dereg_mr(mr);
	mr = NULL;
	result(!i && longterm_gone(path, st.st_ino), mt, held_cases[k++]);

	/* 9: the file, read with pread after munmap, holds all three. */
	munmap(map, BUF_LEN);
	map = NULL;
	d = -1;
	if (pread(fd, got, BUF_LEN, 0) != (ssize_t)BUF_LEN)
		ksft_exit_fail_msg("pread: %s\n", strerror(errno));
	if (check_pattern(got, READ_LEN, seed + 2) >= 0)
		d = check_pattern(got, READ_LEN, seed + 2);
	else if (check_pattern(got + WRITE_OFF, WRITE_LEN, seed + 1) >= 0)
		d = WRITE_OFF + check_pattern(got + WRITE_OFF, WRITE_LEN, seed + 1);
	if (d >= 0)
		ksft_print_msg("the file differs at byte %zd\n", d);
	result(d < 0, mt, held_cases[k++]);

	/* 10 */
	i = ftruncate(fd, 0);
	if (i)
		ksft_print_msg("ftruncate(0): %s\n", strerror(errno));
	result(!i, mt, held_cases[k++]);

others:
	if (map)
		munmap(map, BUF_LEN);
	if (mr)
		ibv_dereg_mr(mr);
	if (ftruncate(fd, BUF_LEN) || pwrite(fd, got, BUF_LEN, 0) != (ssize_t)BUF_LEN)
		ksft_exit_fail_msg("rewriting %s: %s\n", path, strerror(errno));

	/* 11: a reader of the file may not pin it (a read-only MR). */
	{
		int rfd = open(path, O_RDONLY);
		void *rmap = rfd < 0 ? MAP_FAILED :
			     mmap(NULL, BUF_LEN, PROT_READ, MAP_SHARED, rfd, 0);

		if (rmap == MAP_FAILED)
			ksft_exit_fail_msg("read-only mapping: %s\n", strerror(errno));
		xmr = ibv_reg_mr(r.pd, rmap, BUF_LEN, IBV_ACCESS_REMOTE_READ);
		if (xmr) {
			ksft_print_msg("a read-only memory region of a file opened O_RDONLY registered\n");
			ibv_dereg_mr(xmr);
		} else if (errno != EPERM) {
			ksft_print_msg("read-only memory region: long-term pin refused: %s (%s)\n",
				       errno_name(errno), strerror(errno));
		}
		result(!xmr && errno == EPERM, mt,
		       "a read-only memory region of a file opened O_RDONLY fails with EPERM");
		munmap(rmap, BUF_LEN);
		close(rfd);
	}

	/* 12, 13: rxe's persistence check: the pages are pmem, malloc's not. */
	map = dax_map(fd, BUF_LEN, DAX_PTE);
	xmr = map ? ibv_reg_mr(r.pd, map, BUF_LEN, RW_ACCESS | ACCESS_FLUSH_PERSISTENT) : NULL;
	if (!xmr)
		ksft_print_msg("FLUSH_PERSISTENT memory region in the DAX file: long-term pin refused: %s (%s)\n",
			       errno_name(errno), strerror(errno));
	else
		ibv_dereg_mr(xmr);
	result(xmr, mt, "a memory region with IB_ACCESS_FLUSH_PERSISTENT in the DAX file registers (its pages are pmem)");
	xmr = ibv_reg_mr(r.pd, got, BUF_LEN, RW_ACCESS | ACCESS_FLUSH_PERSISTENT);
	if (xmr)
		ibv_dereg_mr(xmr);
	else
		ksft_print_msg("FLUSH_PERSISTENT in malloc memory: %s\n", errno_name(errno));
	result(!xmr && errno == EINVAL, mt,
	       "a memory region with IB_ACCESS_FLUSH_PERSISTENT in malloc memory fails with EINVAL");
	if (map)
		munmap(map, BUF_LEN);

	/* 14: a process killed with its MR registered leaves no pin. */
	result(longterm_killed_holder(fd, BUF_LEN, path, st.st_ino, child_pin, NULL), mt,
	       "a process killed with a memory region in the file leaves no pin, the file truncates");

	close(fd);
	unlink(path);
	ibv_dereg_mr(smr);
	rdma_close(&r);
	free(src);
	free(got);
}

int main(void)
{
	struct dax_mount m[MAX_MOUNTS];
	struct mnt mt[MAX_MOUNTS];
	int n = dax_mounts(m, MAX_MOUNTS), i;

	ksft_print_header();
	dev_name = getenv("DAXGUP_RXE");
	if (!n || !dev_name)
		ksft_exit_skip("no DAX filesystem or RDMA device (DAXGUP_MOUNTS, DAXGUP_RXE)\n");
	for (i = 0; i < n; i++) {
		mt[i].m = m[i];
		mount_label(&m[i], mt[i].name, sizeof(mt[i].name));
	}
	ksft_set_plan(n * NCASES_PER_MOUNT);
	for (i = 0; i < n; i++)
		run_mount(&mt[i]);
	ksft_finished();
}
