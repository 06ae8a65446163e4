// SPDX-License-Identifier: GPL-2.0
/*
 * dax_vfio: device DMA into DAX files through VFIO.
 *
 * QEMU's edu PCI device (DAXGUP_EDU, its PCI address; bound to vfio-pci by
 * dax_vfio.sh) sits behind an emulated Intel IOMMU.  It has a DMA engine
 * with a 4 KiB buffer of its own: it copies between that buffer and a bus
 * address, which the IOMMU translates (QEMU's docs/specs/edu.rst).  On
 * each DAX filesystem of the lab, VFIO_IOMMU_MAP_DMA (type1) maps a
 * MAP_SHARED mapping of a file at an IOVA, which pins its pages long-term,
 * and the device writes into it and reads from it; the contract of
 * long-term pins is checked around that:
 * the file is listed while mapped, layout changes over it fail with
 * ETXTBSY, VFIO_IOMMU_UNMAP_DMA releases the pages (type1 used to leak
 * the pins of ZONE_DEVICE pages, which are PageReserved, and did not
 * charge them to locked_vm: the map must raise VmLck by the file's 2 MiB
 * and the unmap lower it again), and a process
 * killed with a container holding the file leaves no pin.
 *
 * Kernels without long-term pins of DAX files refuse the map (EOPNOTSUPP).
 */
#include <signal.h>
#include <sys/wait.h>
#include <linux/vfio.h>

#include "daxgup.h"

#define BUF_LEN		SZ_2M
#define DAX_IOVA	0x1000000UL	/* the edu device masks addresses to 28 bits */
#define RAM_IOVA	0x400000UL
#define RAM_LEN		(64UL << 10)
#define DMA_PAGES	2		/* each DMA takes 100 ms of virtual time */

/* The edu device's registers (QEMU hw/misc/edu.c) and its buffer. */
#define EDU_IDENT	0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000UL
/*
 * The buffer is 4 KiB, but QEMU 7.2 (Debian 12) takes a transfer that ends
 * at its last byte for one out of bounds, and stops the machine: halves.
 */
#define EDU_CHUNK	2048

struct vfio {
	int container, group, device;
	volatile uint8_t *bar;
	size_t bar_len;
};

static const char *edu;

static void vfio_close(struct vfio *v)
{
	if (v->bar)
		munmap((void *)v->bar, v->bar_len);
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->bar = NULL;
	v->device = v->group = v->container = -1;
}

/* Container, group and device of @edu, BAR0 mapped, bus mastering on; 0 or -1. */
static int vfio_open(struct vfio *v, char *why, size_t len)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_region_info bar = { .argsz = sizeof(bar),
					.index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	char link[512], path[64];
	const char *grp;
	uint16_t cmd;
	ssize_t n;

	v->device = v->group = v->container = -1;
	v->bar = NULL;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", edu);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		snprintf(why, len, "%s: %s (no IOMMU?)", path, strerror(errno));
		return -1;
	}
	link[n] = 0;
	grp = strrchr(link, '/') + 1;
	snprintf(path, sizeof(path), "/dev/vfio/%s", grp);
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->container < 0 || v->group < 0) {
		snprintf(why, len, "opening /dev/vfio/vfio and %s: %s", path, strerror(errno));
		goto fail;
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(why, len, "group %s is not viable (another device in it?)", grp);
		goto fail;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		snprintf(why, len, "VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU(TYPE1v2): %s",
			 strerror(errno));
		goto fail;
	}
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, edu);
	if (v->device < 0 || ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &bar) ||
	    ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		snprintf(why, len, "device %s: %s", edu, strerror(errno));
		goto fail;
	}
	v->bar_len = bar.size;
	v->bar = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, v->device,
		      bar.offset);
	if (v->bar == MAP_FAILED) {
		v->bar = NULL;
		snprintf(why, len, "mmap of BAR0: %s", strerror(errno));
		goto fail;
	}
	if ((*(volatile uint32_t *)(v->bar + EDU_IDENT) & 0xff) != 0xed) {
		snprintf(why, len, "%s is not an edu device (ident %#x)", edu,
			 *(volatile uint32_t *)(v->bar + EDU_IDENT));
		goto fail;
	}
	if (pread(v->device, &cmd, 2, cfg.offset + 4) != 2) {
		snprintf(why, len, "reading PCI_COMMAND: %s", strerror(errno));
		goto fail;
	}
	cmd |= 0x4;	/* PCI_COMMAND_MASTER */
	if (pwrite(v->device, &cmd, 2, cfg.offset + 4) != 2) {
		snprintf(why, len, "setting bus mastering: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	vfio_close(v);
	return -1;
}

/* Map @len bytes at @addr at @iova; 0 or -errno. */
static int map_dma(struct vfio *v, void *addr, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)addr, .iova = iova, .size = len,
	};

	return ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static int unmap_dma(struct vfio *v, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = len,
	};

	return ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;
}

/* One DMA of the edu device, of at most its buffer; 0 or -1 (@why). */
static int edu_dma(struct vfio *v, uint64_t src, uint64_t dst, uint64_t len, bool to_ram,
		   char *why, size_t whylen)
{
	volatile uint64_t *reg = (volatile uint64_t *)(v->bar);
	int i;

	reg[EDU_DMA_SRC / 8] = src;
	reg[EDU_DMA_DST / 8] = dst;
	reg[EDU_DMA_CNT / 8] = len;
	reg[EDU_DMA_CMD / 8] = EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0);
	for (i = 0; i < 30000; i++) {
		if (!(reg[EDU_DMA_CMD / 8] & EDU_CMD_RUN))
			return 0;
		usleep(1000);
	}
	snprintf(why, whylen, "the edu DMA of %#llx to %#llx did not end in 30 s",
		 (unsigned long long)src, (unsigned long long)dst);
	return -1;
}

/* Copy @pages pages from @src to @dst (bus addresses), through the device's buffer. */
static int copy_dma(struct vfio *v, uint64_t src, uint64_t dst, int pages, char *why,
		    size_t whylen)
{
	uint64_t off;

	for (off = 0; off < pages * SZ_4K; off += EDU_CHUNK)
		if (edu_dma(v, src + off, EDU_BUF, EDU_CHUNK, false, why, whylen) ||
		    edu_dma(v, EDU_BUF, dst + off, EDU_CHUNK, true, why, whylen))
			return -1;
	return 0;
}

/* In the killed child: map @map for DMA in a container of its own. */
static int child_pin(void *arg, void *map)
{
	char why[256];
	struct vfio v;
	int ret;

	if (vfio_open(&v, why, sizeof(why))) {
		ksft_print_msg("child: %s\n", why);
		return -1;
	}
	ret = map_dma(&v, map, DAX_IOVA, BUF_LEN);
	if (ret)
		ksft_print_msg("child: VFIO_IOMMU_MAP_DMA: long-term pin refused: %s (%s)\n",
			       errno_name(-ret), strerror(-ret));
	return ret ? -1 : 0;
}

/* The mm's locked_vm, in KiB (VmLck in /proc/self/status); -1 if unknown. */
static long vm_locked_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static const char *cur;

static void result(bool ok, const char *what)
{
	ksft_test_result(ok, "%s: %s\n", cur, what);
}

static const char * const held_cases[] = {
	"the listing shows the file mapped for DMA, its pages and the mapping task",
	"the device's DMA writes land in the file",
	"the device's DMA reads return the file's data",
	"truncate while the file is mapped for DMA fails with ETXTBSY, size unchanged",
	"VFIO_IOMMU_UNMAP_DMA releases the pages: the listing drops the file",
	"the map charged the file's pages to locked_vm, the unmap uncharged them",
	"after the unmap, truncate works and the file holds what the device wrote",
};

#define NCASES	(1 + ARRAY_SIZE(held_cases) + 1)

static void run_mount(const struct dax_mount *m, unsigned int seed)
{
	char path[300], why[256] = "", line[512];
	uint8_t *map, *ram, *got;
	struct vfio v;
	struct stat st;
	ssize_t d;
	unsigned int i, k = 0;
	long lck[3];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/dax_vfio.%d", m->dir, getpid());
	if (vfio_open(&v, why, sizeof(why)))
		ksft_exit_fail_msg("VFIO: %s\n", why);
	ram = mmap(NULL, RAM_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	got = aligned_alloc(SZ_4K, BUF_LEN);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (ram == MAP_FAILED || !got || fd < 0 || fstat(fd, &st))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	fill_pattern(got, BUF_LEN, seed);
	if (pwrite(fd, got, BUF_LEN, 0) != (ssize_t)BUF_LEN || fsync(fd))
		ksft_exit_fail_msg("writing %s: %s\n", path, strerror(errno));
	map = dax_map(fd, BUF_LEN, DAX_PMD);
	ret = map_dma(&v, ram, RAM_IOVA, RAM_LEN);
	if (!map || ret)
		ksft_exit_fail_msg("mapping %s, or anonymous memory for DMA: %s\n", path,
				   strerror(map ? -ret : errno));

	lck[0] = vm_locked_kb();
	ret = map_dma(&v, map, DAX_IOVA, BUF_LEN);
	lck[1] = vm_locked_kb();
	if (ret)
		ksft_print_msg("VFIO_IOMMU_MAP_DMA of a DAX file: long-term pin refused: %s (%s)\n",
			       errno_name(-ret), strerror(-ret));
	result(!ret, "VFIO_IOMMU_MAP_DMA of a MAP_SHARED mapping of a DAX file works");
	if (ret) {
		for (i = 0; i < ARRAY_SIZE(held_cases); i++)
			ksft_test_result_skip("%s: %s (not mapped)\n", cur, held_cases[i]);
		goto child;
	}

	if (longterm_line(path, st.st_ino, line, sizeof(line)))
		ksft_print_msg("%s\n", line);
	result(longterm_line(path, st.st_ino, line, sizeof(line)) && strstr(line, " pages=512 ") &&
	       strstr(line, " write=512 ") && strstr(line, "comm=dax_vfio"), held_cases[k++]);

	/* The device writes seed + 1 into the first pages of the file. */
	fill_pattern(ram, RAM_LEN, seed + 1);
	ret = copy_dma(&v, RAM_IOVA, DAX_IOVA, DMA_PAGES, why, sizeof(why));
	d = ret ? 0 : check_pattern(map, DMA_PAGES * SZ_4K, seed + 1);
	if (ret)
		ksft_print_msg("%s\n", why);
	else if (d >= 0)
		ksft_print_msg("the file's mapping differs at byte %zd after the DMA\n", d);
	result(!ret && d < 0, held_cases[k++]);

	/* It reads seed + 2, written to the file at 1 MiB, into memory. */
	fill_pattern(got, DMA_PAGES * SZ_4K, seed + 2);
	if (pwrite(fd, got, DMA_PAGES * SZ_4K, SZ_2M / 2) != (ssize_t)(DMA_PAGES * SZ_4K))
		ksft_exit_fail_msg("pwrite: %s\n", strerror(errno));
	memset(ram, 0, RAM_LEN);
	ret = copy_dma(&v, DAX_IOVA + SZ_2M / 2, RAM_IOVA, DMA_PAGES, why, sizeof(why));
	d = ret ? 0 : check_pattern(ram, DMA_PAGES * SZ_4K, seed + 2);
	if (ret)
		ksft_print_msg("%s\n", why);
	else if (d >= 0)
		ksft_print_msg("what the device read differs at byte %zd\n", d);
	result(!ret && d < 0, held_cases[k++]);

	ret = ftruncate(fd, 0);
	if (!ret || errno != ETXTBSY)
		ksft_print_msg("ftruncate(0): %s\n", ret ? strerror(errno) : "succeeded");
	result(ret && errno == ETXTBSY && !fstat(fd, &st) && st.st_size == BUF_LEN,
	       held_cases[k++]);

	ret = unmap_dma(&v, DAX_IOVA, BUF_LEN);
	if (ret)
		ksft_print_msg("VFIO_IOMMU_UNMAP_DMA: %s\n", strerror(-ret));
	result(!ret && longterm_gone(path, st.st_ino), held_cases[k++]);
	lck[2] = vm_locked_kb();
	ksft_print_msg("VmLck: %ld kB before the map, %ld kB mapped, %ld kB after the unmap\n",
		       lck[0], lck[1], lck[2]);
	result(lck[0] >= 0 && lck[1] - lck[0] == BUF_LEN / 1024 && lck[2] == lck[0],
	       held_cases[k++]);

	munmap(map, BUF_LEN);
	map = NULL;
	d = -1;
	if (pread(fd, got, BUF_LEN, 0) != (ssize_t)BUF_LEN)
		ksft_exit_fail_msg("pread: %s\n", strerror(errno));
	if (check_pattern(got, DMA_PAGES * SZ_4K, seed + 1) >= 0)
		d = check_pattern(got, DMA_PAGES * SZ_4K, seed + 1);
	else if (check_pattern(got + SZ_2M / 2, DMA_PAGES * SZ_4K, seed + 2) >= 0)
		d = SZ_2M / 2 + check_pattern(got + SZ_2M / 2, DMA_PAGES * SZ_4K, seed + 2);
	if (d >= 0)
		ksft_print_msg("the file differs at byte %zd\n", d);
	ret = ftruncate(fd, 0);
	if (ret)
		ksft_print_msg("ftruncate(0) after the unmap: %s\n", strerror(errno));
	result(!ret && d < 0, held_cases[k++]);
	if (ftruncate(fd, BUF_LEN) || pwrite(fd, got, BUF_LEN, 0) != (ssize_t)BUF_LEN)
		ksft_exit_fail_msg("rewriting %s: %s\n", path, strerror(errno));

child:
	if (map)
		munmap(map, BUF_LEN);
	unmap_dma(&v, RAM_IOVA, RAM_LEN);
	vfio_close(&v);
	/* A process killed with the file mapped for DMA in its container. */
	result(longterm_killed_holder(fd, BUF_LEN, path, st.st_ino, child_pin, NULL),
	       "a process killed with the file mapped for DMA leaves no pin, the file truncates");
	close(fd);
	unlink(path);
	munmap(ram, RAM_LEN);
	free(got);
}

int main(void)
{
	struct dax_mount m[MAX_MOUNTS];
	int n = dax_mounts(m, MAX_MOUNTS), i;
	char name[MAX_MOUNTS][96];

	ksft_print_header();
	edu = getenv("DAXGUP_EDU");
	if (!n || !edu)
		ksft_exit_skip("no DAX filesystem or edu device (DAXGUP_MOUNTS, DAXGUP_EDU)\n");
	ksft_set_plan(n * NCASES);
	for (i = 0; i < n; i++) {
		mount_label(&m[i], name[i], sizeof(name[i]));
		cur = name[i];
		run_mount(&m[i], i + 1);
	}
	ksft_finished();
}
