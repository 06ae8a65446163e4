// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem: a pmem driver whose removal never unmaps pinned DAX pages.
 *
 * The module registers an nd_device_driver for the same device types as
 * nd_pmem: raw namespaces (a block device; with DAX and struct pages on
 * legacy memmap= regions), pfn devices, i.e. fsdax namespaces (block
 * device + dax_device + struct pages), and BTT devices (nd_btt's block
 * device, as with nd_pmem).
 *
 * One driver serves pmem: both modules have the aliases nd:t4* and nd:t5*
 * that udev and ndctl load by, and the driver core offers a device whose
 * probe failed to the next driver that matches it, so a namespace refused
 * here would be served by nd_pmem.  daxgup.conf (installed in
 * /etc/modprobe.d with the module) makes every load of nd_pmem load
 * daxgup_pmem instead, and nd_pmem only when daxgup_pmem cannot be loaded.
 * To serve one namespace with each driver for a comparison, load both by
 * name and move a device by hand, e.g. an fsdax namespace:
 *
 *	echo pfn0.0 > /sys/bus/nd/drivers/nd_pmem/unbind
 *	echo pfn0.0 > /sys/bus/nd/drivers/daxgup_pmem/bind
 *
 * Teardown order (daxgup_teardown(), the one devres action of probe): the
 * disk's removal stops new DAX access and tells the filesystem, then the
 * pagemap's removal (pagemap.c) makes new pins fail and unmaps the pages,
 * or parks them while they are still in use (pinned, or tied to a file)
 * and unmaps them once they are let go.
 *
 * The block device is bio-based, each segment copied synchronously to or
 * from the persistent memory; media errors (badblocks) fail reads and are
 * cleared by writes where the platform can clear them.  The dax_device is
 * how ext4 and xfs mounted with -o dax reach the pages of an fsdax
 * namespace.  Page offsets (pgoff) count from the first data sector, like
 * the block device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/device.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nd.h>
#include <linux/pfn_t.h>
#include <linux/set_memory.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "nd.h"
#include "pfn.h"
#include "btt.h"
#include "daxgup_pmem.h"

/* byte offset into the namespace of a sector of the data area */
static phys_addr_t daxgup_sector_offset(const struct daxgup_pmem *pmem,
					sector_t sector)
{
	return pmem->data_offset + ((phys_addr_t)sector << SECTOR_SHIFT);
}

static bool daxgup_test_clear_hwpoison(struct page *page)
{
#ifdef CONFIG_MEMORY_FAILURE
	return TestClearPageHWPoison(page);
#else
	return false;
#endif
}

/*
 * A page whose poison was consumed was marked HWPoison and its direct-map
 * entry made unusable by memory_failure(); undo both once the platform
 * has cleared the poison.  Only pages entirely inside the cleared range
 * qualify: the rest of a partially cleared page may still be poisoned.
 */
static void daxgup_unpoison_pages(phys_addr_t phys, long len)
{
	unsigned long pfn = PFN_UP(phys);
	unsigned long end = PFN_DOWN(phys + len);

	for (; pfn < end; pfn++)
		if (daxgup_test_clear_hwpoison(pfn_to_page(pfn)))
			clear_mce_nospec(pfn);
}

/**
 * daxgup_pmem_clear_poison() - clear media errors under a byte range
 * @pmem: the device
 * @offset: byte offset into the namespace, sector aligned
 * @len: bytes, a multiple of the sector size
 *
 * The badblocks entries are left alone: the caller drops them with
 * daxgup_pmem_forget_bad() only after it has written valid data, so a
 * concurrent reader keeps failing instead of reading what the clear left.
 *
 * Return: bytes cleared from @offset on (maybe fewer than @len), or a
 * negative errno.
 */
static long daxgup_pmem_clear_poison(struct daxgup_pmem *pmem,
				     phys_addr_t offset, unsigned int len)
{
	phys_addr_t phys = pmem->phys_addr + offset;
	long cleared;

	cleared = nvdimm_clear_poison(pmem->dev, phys, len);
	if (cleared <= 0)
		return cleared;

	if (pmem->has_pages)
		daxgup_unpoison_pages(phys, cleared);
	/* lines of the poisoned range may still sit in the CPU caches */
	arch_invalidate_pmem(pmem->virt_addr + offset, len);
	return cleared;
}

/**
 * daxgup_pmem_forget_bad() - drop badblocks entries after a repair
 * @pmem: the device
 * @offset: byte offset into the namespace of the repaired range
 * @len: bytes repaired
 */
static void daxgup_pmem_forget_bad(struct daxgup_pmem *pmem,
				   phys_addr_t offset, long len)
{
	sector_t sector = (offset - pmem->data_offset) >> SECTOR_SHIFT;
	int nr = len >> SECTOR_SHIFT;

	if (nr <= 0)
		return;
	badblocks_clear(&pmem->bb, sector, nr);
	if (pmem->bb_state)
		sysfs_notify_dirent(pmem->bb_state);
}

/**
 * daxgup_pmem_write() - write one page-bounded chunk to the data area
 * @pmem: the device
 * @page: source page
 * @off: offset in @page
 * @sector: first data sector written
 * @len: bytes, a multiple of 512 within @page
 *
 * A known-bad range is cleared first; if the platform cannot clear all of
 * it the write fails and the range stays marked bad.
 *
 * Return: BLK_STS_OK or BLK_STS_IOERR.
 */
static blk_status_t daxgup_pmem_write(struct daxgup_pmem *pmem,
				      struct page *page, unsigned int off,
				      sector_t sector, unsigned int len)
{
	phys_addr_t offset = daxgup_sector_offset(pmem, sector);
	bool repair = false;
	void *src;

	if (unlikely(is_bad_pmem(&pmem->bb, sector, len))) {
		long cleared = daxgup_pmem_clear_poison(pmem, offset, len);

		if (cleared < (long)len) {
			dev_dbg(pmem->dev, "write to bad sector %llu: cleared %ld of %u bytes\n",
				(unsigned long long)sector, cleared, len);
			return BLK_STS_IOERR;
		}
		repair = true;
	}

	flush_dcache_page(page);
	src = kmap_local_page(page);
	/* bypass the CPU caches: nvdimm_flush() then only fences and flushes WPQs */
	memcpy_flushcache(pmem->virt_addr + offset, src + off, len);
	kunmap_local(src);

	if (repair)
		daxgup_pmem_forget_bad(pmem, offset, len);
	return BLK_STS_OK;
}

static blk_status_t daxgup_pmem_read(struct daxgup_pmem *pmem,
				     struct bio_vec *bv, sector_t sector)
{
	void *src = pmem->virt_addr + daxgup_sector_offset(pmem, sector);
	unsigned long left;
	void *dst;

	if (unlikely(is_bad_pmem(&pmem->bb, sector, bv->bv_len)))
		return BLK_STS_IOERR;

	/* an unknown error is a machine check: copy_mc_* turns it into a short copy */
	dst = bvec_kmap_local(bv);
	left = copy_mc_to_kernel(dst, src, bv->bv_len);
	kunmap_local(dst);
	flush_dcache_page(bv->bv_page);

	return left ? BLK_STS_IOERR : BLK_STS_OK;
}

static void daxgup_submit_bio(struct bio *bio)
{
	struct daxgup_pmem *pmem = bio->bi_bdev->bd_disk->private_data;
	unsigned long start = 0;
	struct bvec_iter iter;
	struct bio_vec bv;
	blk_status_t sts;
	bool acct;
	int rc;

	if (bio_op(bio) != REQ_OP_READ && bio_op(bio) != REQ_OP_WRITE) {
		bio->bi_status = BLK_STS_NOTSUPP;
		goto out;
	}

	if (bio->bi_opf & REQ_PREFLUSH) {
		rc = nvdimm_flush(pmem->region, NULL);
		if (rc) {
			bio->bi_status = errno_to_blk_status(rc);
			goto out;
		}
	}

	acct = blk_queue_io_stat(bio->bi_bdev->bd_disk->queue);
	if (acct)
		start = bio_start_io_acct(bio);

	/* bio_for_each_segment() hands out single-page segments */
	bio_for_each_segment(bv, bio, iter) {
		if (op_is_write(bio_op(bio)))
			sts = daxgup_pmem_write(pmem, bv.bv_page, bv.bv_offset,
						iter.bi_sector, bv.bv_len);
		else
			sts = daxgup_pmem_read(pmem, &bv, iter.bi_sector);
		if (sts) {
			bio->bi_status = sts;
			break;
		}
	}

	if (acct)
		bio_end_io_acct(bio, start);

	if ((bio->bi_opf & REQ_FUA) && !bio->bi_status) {
		rc = nvdimm_flush(pmem->region, bio);
		/* an asynchronous flush (virtio-pmem) completes the bio itself */
		if (rc == NVDIMM_FLUSH_ASYNC)
			return;
		if (rc)
			bio->bi_status = errno_to_blk_status(rc);
	}
out:
	bio_endio(bio);
}

static const struct block_device_operations daxgup_fops = {
	.owner = THIS_MODULE,
	.submit_bio = daxgup_submit_bio,
	.release = daxgup_hold_disk_release,
};

/* badblocks_check() counts sectors in an int: never ask for more */
#define DAXGUP_BB_MAX_PAGES	((long)(INT_MAX >> (PAGE_SHIFT - SECTOR_SHIFT)))

/**
 * daxgup_dax_direct_access() - translate a page offset into pmem
 * @dax_dev: our dax_device
 * @pgoff: page offset into the data area
 * @nr_pages: pages the caller wants
 * @mode: DAX_ACCESS, or DAX_RECOVERY_WRITE to get at poisoned pages
 * @kaddr: kernel address of @pgoff, if not NULL
 * @pfn: pfn_t of @pgoff, PFN_DEV|PFN_MAP (backed by struct pages), if not NULL
 *
 * Media errors are honoured as nd_pmem does: a plain access to a range
 * with a bad sector fails with -EHWPOISON; a recovery write gets the good
 * pages before the first bad one, or that one page, which is what
 * daxgup_dax_recovery_write() clears and rewrites.
 *
 * Return: pages usable from @pgoff, or a negative errno.
 */
static long daxgup_dax_direct_access(struct dax_device *dax_dev, pgoff_t pgoff,
				     long nr_pages, enum dax_access_mode mode,
				     void **kaddr, pfn_t *pfn)
{
	struct daxgup_pmem *pmem = dax_get_private(dax_dev);
	resource_size_t data_len = daxgup_data_len(pmem);
	phys_addr_t offset = pmem->data_offset + PFN_PHYS(pgoff);
	sector_t sector = PFN_PHYS(pgoff) >> SECTOR_SHIFT;
	sector_t first_bad;
	int num_bad;
	long avail;

	if (PFN_PHYS(pgoff) >= data_len)
		return -ERANGE;
	avail = PHYS_PFN(data_len - PFN_PHYS(pgoff));

	if (kaddr)
		*kaddr = pmem->virt_addr + offset;
	if (pfn) {
		*pfn = phys_to_pfn_t(pmem->phys_addr + offset, PFN_DEV | PFN_MAP);
		/* a fault maps pages: look for them at the last close (pagemap.c) */
		if (!READ_ONCE(pmem->hold.mapped))
			WRITE_ONCE(pmem->hold.mapped, true);
	}

	if (!pmem->bb.count)
		return avail;

	nr_pages = min3(nr_pages, avail, DAXGUP_BB_MAX_PAGES);
	if (!nr_pages)
		return 0;
	if (!badblocks_check(&pmem->bb, sector,
			     PFN_PHYS(nr_pages) >> SECTOR_SHIFT,
			     &first_bad, &num_bad))
		return nr_pages;

	if (mode != DAX_RECOVERY_WRITE)
		return -EHWPOISON;

	/*
	 * Poison is cleared one page at a time (firmware does not reliably
	 * clear large ranges), so stop in front of the first bad page.  A bad
	 * range may also start before @sector: then this page is bad.
	 */
	if (first_bad <= sector)
		return 1;
	avail = PHYS_PFN((first_bad - sector) << SECTOR_SHIFT);
	dev_dbg(pmem->dev, "recovery: pgoff %#lx, first bad sector %llu, %ld good pages\n",
		pgoff, (unsigned long long)first_bad, avail);
	return avail ? avail : 1;
}

static int daxgup_dax_zero_page_range(struct dax_device *dax_dev,
				      pgoff_t pgoff, size_t nr_pages)
{
	struct daxgup_pmem *pmem = dax_get_private(dax_dev);
	sector_t sector = PFN_PHYS(pgoff) >> SECTOR_SHIFT;
	blk_status_t sts;

	if (PFN_PHYS(pgoff + nr_pages) > daxgup_data_len(pmem))
		return -EIO;

	/* through the write path, so that known poison gets cleared */
	for (; nr_pages; nr_pages--, sector += PAGE_SECTORS) {
		sts = daxgup_pmem_write(pmem, ZERO_PAGE(0), 0, sector,
					PAGE_SIZE);
		if (sts)
			return blk_status_to_errno(sts);
	}
	return 0;
}

/**
 * daxgup_dax_recovery_write() - write over a poisoned range
 * @dax_dev: our dax_device
 * @pgoff: page offset of @addr into the data area
 * @addr: kernel address from direct_access(DAX_RECOVERY_WRITE)
 * @bytes: bytes to write
 * @iter: source
 *
 * Called by dax_iomap_rw() when direct_access() found poison under a
 * write.  Clear the poison of the whole pages, write, and only then drop
 * the badblocks entries, so a concurrent reader fails rather than reading
 * what the clear left behind.  A write that does not cover whole pages
 * cannot repair them and writes nothing.
 *
 * Return: bytes written.
 */
static size_t daxgup_dax_recovery_write(struct dax_device *dax_dev,
					pgoff_t pgoff, void *addr, size_t bytes,
					struct iov_iter *iter)
{
	struct daxgup_pmem *pmem = dax_get_private(dax_dev);
	phys_addr_t offset = pmem->data_offset + PFN_PHYS(pgoff);
	size_t off = offset_in_page(addr);
	size_t len = PFN_PHYS(PFN_UP(off + bytes));
	sector_t sector = PFN_PHYS(pgoff) >> SECTOR_SHIFT;
	size_t copied;
	long cleared;

	if (!is_bad_pmem(&pmem->bb, sector, len))
		return _copy_from_iter_flushcache(addr, bytes, iter);

	if (off || !PAGE_ALIGNED(bytes)) {
		dev_dbg(pmem->dev, "recovery write of %zu bytes at page offset %zu: not whole pages\n",
			bytes, off);
		return 0;
	}

	cleared = daxgup_pmem_clear_poison(pmem, offset, len);
	if (cleared < 0 || (size_t)cleared < len) {
		dev_dbg(pmem->dev, "recovery write: cleared %ld of %zu bytes at pgoff %#lx\n",
			cleared, len, pgoff);
		return 0;
	}

	copied = _copy_from_iter_flushcache(addr, bytes, iter);
	daxgup_pmem_forget_bad(pmem, offset, cleared);
	return copied;
}

static const struct dax_operations daxgup_dax_ops = {
	.direct_access = daxgup_dax_direct_access,
	.zero_page_range = daxgup_dax_zero_page_range,
	.recovery_write = daxgup_dax_recovery_write,
};

/**
 * daxgup_dax_alloc() - allocate the dax_device of an fsdax device
 * @pmem: the device
 *
 * Set up like nd_pmem's: DAX writes bypass the CPU cache (nocache), DAX
 * reads use machine-check safe copies (nomc), MAP_SYNC is allowed when
 * the region is synchronous, and fsync flushes CPU caches when the
 * platform does not do it on power loss.
 *
 * Return: 0 or a negative errno.
 */
static int daxgup_dax_alloc(struct daxgup_pmem *pmem)
{
	struct dax_device *dax_dev;

	dax_dev = alloc_dax(pmem, &daxgup_dax_ops);
	if (IS_ERR(dax_dev)) {
		dev_err(pmem->dev, "cannot allocate a dax device: %ld\n",
			PTR_ERR(dax_dev));
		return PTR_ERR(dax_dev);
	}

	set_dax_nocache(dax_dev);
	set_dax_nomc(dax_dev);
	if (is_nvdimm_sync(pmem->region))
		set_dax_synchronous(dax_dev);
	dax_write_cache(dax_dev, nvdimm_has_cache(pmem->region));
	pmem->dax_dev = dax_dev;
	return 0;
}

/**
 * daxgup_blk_map_raw() - map a raw namespace for block I/O only
 * @pmem: the device, phys_addr and size set
 *
 * Raw mode has no struct pages and no dax_device: the mapping is a plain
 * memremap() and DAX stays off (configure the namespace as fsdax for DAX).
 *
 * Return: 0 or a negative errno.
 */
static int daxgup_blk_map_raw(struct daxgup_pmem *pmem)
{
	struct device *dev = pmem->dev;
	void *addr;

	if (!devm_request_mem_region(dev, pmem->phys_addr, pmem->size,
				     dev_name(&pmem->ndns->dev))) {
		dev_err(dev, "%pa (%pa bytes) is busy, another driver maps it\n",
			&pmem->phys_addr, &pmem->size);
		return -EBUSY;
	}

	addr = devm_memremap(dev, pmem->phys_addr, pmem->size,
			     ARCH_MEMREMAP_PMEM);
	if (IS_ERR(addr)) {
		dev_err(dev, "cannot map %pa (%pa bytes): %ld\n",
			&pmem->phys_addr, &pmem->size, PTR_ERR(addr));
		return PTR_ERR(addr);
	}
	pmem->virt_addr = addr;
	return 0;
}

/* badblocks of the data area only, relative to its first sector */
static void daxgup_blk_populate_badblocks(struct daxgup_pmem *pmem)
{
	struct range range = {
		.start = pmem->phys_addr + pmem->data_offset,
		.end = pmem->phys_addr + pmem->size - pmem->end_pad - 1,
	};

	nvdimm_badblocks_populate(pmem->region, &pmem->bb, &range);
}

static void daxgup_blk_revalidate_poison(struct daxgup_pmem *pmem)
{
	daxgup_blk_populate_badblocks(pmem);
	if (pmem->bb_state)
		sysfs_notify_dirent(pmem->bb_state);
}

/**
 * daxgup_blk_add_disk() - create and register the gendisk
 * @pmem: the device, mapped, with its dax_device in fsdax mode
 *
 * The write cache is always advertised: writes use non-temporal stores,
 * and the PREFLUSH it brings is where nvdimm_flush() fences them and
 * flushes the write-pending queues.  FUA is advertised when the region
 * has a flush mechanism of its own.  In fsdax mode the dax_device is
 * associated with the disk (dax_add_host) before the disk is visible, so
 * that fs_dax_get_by_bdev() finds it at mount time.
 *
 * Return: 0 or a negative errno.
 */
static int daxgup_blk_add_disk(struct daxgup_pmem *pmem)
{
	struct queue_limits lim = {
		.logical_block_size = pmem_sector_size(pmem->ndns),
		.physical_block_size = PAGE_SIZE,
		.max_hw_sectors = UINT_MAX,
		.features = BLK_FEAT_WRITE_CACHE | BLK_FEAT_SYNCHRONOUS,
	};
	struct device *dev = pmem->dev;
	struct gendisk *disk;
	int has_flush;
	int rc;

	has_flush = nvdimm_has_flush(pmem->region);
	if (has_flush < 0 || !IS_ENABLED(CONFIG_ARCH_HAS_UACCESS_FLUSHCACHE)) {
		dev_warn(dev, "unable to guarantee persistence of writes\n");
		has_flush = 0;
	}
	if (has_flush)
		lim.features |= BLK_FEAT_FUA;
	if (pmem->dax_dev)
		lim.features |= BLK_FEAT_DAX;

	rc = devm_init_badblocks(dev, &pmem->bb);
	if (rc)
		return rc;
	daxgup_blk_populate_badblocks(pmem);

	disk = blk_alloc_disk(&lim, dev_to_node(dev));
	if (IS_ERR(disk)) {
		dev_err(dev, "cannot allocate the disk: %ld\n", PTR_ERR(disk));
		return PTR_ERR(disk);
	}
	if (pmem->has_pages)
		daxgup_hold_init(pmem);
	disk->fops = &daxgup_fops;
	disk->private_data = pmem;
	disk->bb = &pmem->bb;
	nvdimm_namespace_disk_name(pmem->ndns, disk->disk_name);
	set_capacity(disk, daxgup_data_len(pmem) >> SECTOR_SHIFT);
	pmem->disk = disk;

	if (pmem->dax_dev) {
		rc = dax_add_host(pmem->dax_dev, disk);
		if (rc) {
			dev_err(dev, "cannot associate the dax device: %d\n", rc);
			goto out_put_disk;
		}
	}

	rc = device_add_disk(dev, disk, NULL);
	if (rc) {
		dev_err(dev, "cannot add disk %s: %d\n", disk->disk_name, rc);
		goto out_remove_host;
	}

	nvdimm_check_and_set_ro(disk);
	pmem->bb_state = sysfs_get_dirent(disk_to_dev(disk)->kobj.sd,
					  "badblocks");
	if (!pmem->bb_state)
		dev_warn(dev, "no 'badblocks' sysfs notification for %s\n",
			 disk->disk_name);

	dev_dbg(dev, "%s: %llu MiB, %s\n", disk->disk_name,
		(unsigned long long)daxgup_data_len(pmem) >> 20,
		pmem->dax_dev ? "DAX" : "no DAX");
	return 0;

out_remove_host:
	if (pmem->dax_dev)
		dax_remove_host(disk);
out_put_disk:
	put_disk(disk);
	pmem->disk = NULL;
	return rc;
}

/**
 * daxgup_teardown() - undo what daxgup_attach() set up, in a fixed order
 * @data: the device
 *
 * The one devres action of a device served with a disk.  daxgup_attach()
 * registers it last, once everything is set up, so devres runs it first on
 * a removal (unbind, rmmod, ndctl disable-namespace or disable-region),
 * while what devm helpers set up before it (@pmem, the badblocks, the raw
 * mapping) is still there.  A probe that fails calls it on what it had set
 * up: each step undoes only what is there, and the disk is either added or
 * gone (daxgup_blk_add_disk()).
 *
 * 1. With struct pages the removal takes a module reference of its own,
 *    held until step 5, when the pagemap is unmapped or parked; then the
 *    module hold is stopped (its reference dropped): a last close from here
 *    on takes no hold, and an rmmod meanwhile must not find the module free
 *    while pages are in use.  The reference fails only when rmmod started
 *    this removal, which then cannot park (daxgup_fsdax_unmap()).
 * 2. kill_dax(), before the disk goes: dax_direct_access() fails from now
 *    on and a holder such as xfs is told with MF_MEM_PRE_REMOVE, so that it
 *    unmaps its DAX files.  The dax_device then leaves the disk.
 * 3. del_gendisk() marks the disk dead, which shuts the filesystem down,
 *    and drains the bios still in daxgup_submit_bio(), which find @pmem
 *    through the disk's private_data: only then is it cleared, for the last
 *    close of a disk that a filesystem keeps open after @pmem is gone.
 * 4. The pagemap (daxgup_fsdax_unmap()): new pins fail; it is unmapped at
 *    once, or parked while pages are in use: the removal does not wait for
 *    them.  It takes the dax_device reference over, for the memory_failure
 *    handler, which may run until its pages are unmapped.
 * 5. The dax_device if no pagemap took it over (a probe that failed before
 *    mapping), and the removal's module reference.
 */
static void daxgup_teardown(void *data)
{
	struct daxgup_pmem *pmem = data;

	if (pmem->disk) {
		/* 1: taken before the hold's reference goes */
		if (pmem->has_pages)
			pmem->removal_ref = try_module_get(THIS_MODULE);
		daxgup_hold_stop(pmem);
		/* 2 */
		if (pmem->dax_dev) {
			kill_dax(pmem->dax_dev);
			dax_remove_host(pmem->disk);
		}
		/* 3 */
		sysfs_put(pmem->bb_state);
		pmem->bb_state = NULL;
		del_gendisk(pmem->disk);
		daxgup_hold_forget_disk(pmem);
		put_disk(pmem->disk);
	}

	/* 4 */
	if (pmem->pagemap)
		daxgup_fsdax_unmap(pmem);

	/* 5 */
	if (pmem->dax_dev) {
		kill_dax(pmem->dax_dev);
		put_dax(pmem->dax_dev);
	}
	/*
	 * The removal's own module reference.  A concurrent rmmod waits for
	 * this removal to return (the device lock) before it unloads.
	 */
	if (pmem->removal_ref)
		module_put(THIS_MODULE);
}

/**
 * daxgup_attach() - bring up the block device (and DAX) of a device
 * @dev: raw namespace or pfn device being probed
 * @ndns: namespace that holds the data
 * @nd_pfn: the pfn device for fsdax, NULL for a raw namespace
 *
 * Set up in order: the dax_device, the pagemap (or the raw mapping), the
 * disk; then daxgup_teardown() is registered, which undoes them in the
 * order a removal needs.
 *
 * Return: 0 or a negative errno, with what was set up undone.
 */
static int daxgup_attach(struct device *dev, struct nd_namespace_common *ndns,
			 struct nd_pfn *nd_pfn)
{
	struct nd_namespace_io *nsio = to_nd_namespace_io(&ndns->dev);
	struct daxgup_pmem *pmem;
	int rc;

	pmem = devm_kzalloc(dev, sizeof(*pmem), GFP_KERNEL);
	if (!pmem)
		return -ENOMEM;

	pmem->dev = dev;
	pmem->ndns = ndns;
	pmem->region = to_nd_region(dev->parent);
	pmem->phys_addr = nsio->res.start;
	pmem->size = resource_size(&nsio->res);
	dev_set_drvdata(dev, pmem);

	rc = daxgup_fsdax_check_parked(dev, pmem->phys_addr, pmem->size);
	if (rc)
		return rc;

	/*
	 * A raw namespace of a legacy region (memmap=, e820) gets struct
	 * pages and DAX like nd_pmem gives it: all of it is data, the memmap
	 * in RAM.  Other raw namespaces are block devices only.
	 */
	if (nd_pfn || pmem_should_map_pages(dev)) {
		rc = daxgup_dax_alloc(pmem);
		if (rc)
			return rc;
		rc = daxgup_fsdax_map(pmem, nd_pfn);
	} else {
		rc = daxgup_blk_map_raw(pmem);
	}
	if (!rc)
		rc = daxgup_blk_add_disk(pmem);
	if (rc) {
		daxgup_teardown(pmem);
		return rc;
	}

	/* last, so that devres runs it first */
	return devm_add_action_or_reset(dev, daxgup_teardown, pmem);
}

/**
 * daxgup_probe_namespace() - probe a namespace device
 * @dev: the namespace device
 * @ndns: its namespace
 *
 * Let libnvdimm look for an info block first, like nd_pmem does: a BTT,
 * fsdax (pfn) or devdax info block makes libnvdimm register a btt, pfn or
 * dax device that claims the namespace, and this probe then fails with
 * -ENXIO on purpose (the namespace is served through that new device).
 * Only a namespace without an info block is served raw; one whose info
 * block is there but invalid, or cannot be read, is refused
 * (daxgup_info_check_raw()).
 *
 * Return: 0 when served raw, -ENXIO when handed over, or a negative errno.
 */
static int daxgup_probe_namespace(struct device *dev,
				  struct nd_namespace_common *ndns)
{
	int rc;

	/* the claim helpers read the info block through nsio_rw_bytes */
	rc = devm_namespace_enable(dev, ndns, nd_info_block_reserve());
	if (rc)
		return rc;

	if (nd_btt_probe(dev, ndns) == 0) {
		dev_dbg(dev, "BTT info block found, handed to a btt device\n");
		return -ENXIO;
	}

	rc = nd_pfn_probe(dev, ndns);
	if (rc == 0) {
		dev_dbg(dev, "fsdax info block found, handed to a pfn device\n");
		return -ENXIO;
	}
	/* libnvdimm has logged which field it rejects */
	if (rc == -EOPNOTSUPP) {
		dev_err(dev, "fsdax info block rejected: not serving the namespace\n");
		daxgup_refused(dev, ndns);
		return rc;
	}

	rc = nd_dax_probe(dev, ndns);
	if (rc == 0) {
		dev_dbg(dev, "devdax info block found, handed to a dax device\n");
		return -ENXIO;
	}
	if (rc == -EOPNOTSUPP) {
		dev_err(dev, "devdax info block rejected: not serving the namespace\n");
		daxgup_refused(dev, ndns);
		return rc;
	}

	rc = daxgup_info_check_raw(dev, ndns);
	if (rc)
		return rc;

	/* the raw block device maps the whole namespace itself */
	devm_namespace_disable(dev, ndns);

	return daxgup_attach(dev, ndns, NULL);
}

static int daxgup_probe(struct device *dev)
{
	struct nd_namespace_common *ndns;

	/* Seed devices (no namespace attached yet) fail here, quietly. */
	ndns = nvdimm_namespace_common_probe(dev);
	if (IS_ERR(ndns)) {
		dev_dbg(dev, "namespace not usable: %ld\n", PTR_ERR(ndns));
		return PTR_ERR(ndns);
	}

	/*
	 * BTT (sector mode): nd_btt's block device over the namespace, as
	 * with nd_pmem; no DAX, no struct pages.
	 */
	if (is_nd_btt(dev))
		return nvdimm_namespace_attach_btt(ndns);

	if (is_nd_pfn(dev))
		return daxgup_attach(dev, ndns, to_nd_pfn(dev));

	return daxgup_probe_namespace(dev, ndns);
}

/*
 * The ordered teardown (kill DAX, delete the disk, unmap or park) is done
 * by daxgup_teardown(), the devres action of probe, right after this.
 * Make the data durable while the disk is still there.
 */
static void daxgup_remove(struct device *dev)
{
	if (is_nd_btt(dev))
		nvdimm_namespace_detach_btt(to_nd_btt(dev));
	nvdimm_flush(to_nd_region(dev->parent), NULL);
}

static void daxgup_shutdown(struct device *dev)
{
	nvdimm_flush(to_nd_region(dev->parent), NULL);
}

/* the namespace's own badblocks, which nd_btt reads through nsio_rw_bytes */
static void daxgup_btt_notify(struct nd_btt *nd_btt, enum nvdimm_event event)
{
	struct nd_namespace_common *ndns = nd_btt->ndns;
	struct nd_namespace_io *nsio = to_nd_namespace_io(&ndns->dev);
	struct range range = {
		.start = nsio->res.start,
		.end = nsio->res.end,
	};

	switch (event) {
	case NVDIMM_REVALIDATE_POISON:
		nvdimm_badblocks_populate(to_nd_region(ndns->dev.parent),
					  &nsio->bb, &range);
		break;
	case NVDIMM_REVALIDATE_REGION:
		nvdimm_check_and_set_ro(nd_btt->btt->btt_disk);
		break;
	default:
		dev_dbg(&nd_btt->dev, "ignoring unknown event %d\n", event);
		break;
	}
}

/* called under device_lock() with a driver bound, so @pmem is valid */
static void daxgup_notify(struct device *dev, enum nvdimm_event event)
{
	struct daxgup_pmem *pmem = dev_get_drvdata(dev);

	if (is_nd_btt(dev)) {
		daxgup_btt_notify(to_nd_btt(dev), event);
		return;
	}

	switch (event) {
	case NVDIMM_REVALIDATE_POISON:
		daxgup_blk_revalidate_poison(pmem);
		break;
	case NVDIMM_REVALIDATE_REGION:
		nvdimm_check_and_set_ro(pmem->disk);
		break;
	default:
		dev_dbg(dev, "ignoring unknown event %d\n", event);
		break;
	}
}

static struct driver_attribute daxgup_attr_parked =
	__ATTR(parked, 0444, daxgup_parked_show, NULL);

static struct attribute *daxgup_driver_attrs[] = {
	&daxgup_attr_parked.attr,
	NULL,
};
ATTRIBUTE_GROUPS(daxgup_driver);

static struct nd_device_driver daxgup_driver = {
	.probe = daxgup_probe,
	.remove = daxgup_remove,
	.shutdown = daxgup_shutdown,
	.notify = daxgup_notify,
	.drv = {
		.name = "daxgup_pmem",
		.groups = daxgup_driver_groups,
	},
	.type = ND_DRIVER_NAMESPACE_IO | ND_DRIVER_NAMESPACE_PMEM,
};

static int __init daxgup_init(void)
{
	int rc;

	rc = daxgup_fsdax_init();
	if (rc)
		return rc;
	rc = nd_driver_register(&daxgup_driver);
	if (rc) {
		daxgup_fsdax_exit();
		return rc;
	}
	if (driver_find("nd_pmem", daxgup_driver.drv.bus))
		pr_warn("nd_pmem is loaded too: the namespaces it holds stay with it, and it may serve those this driver refuses (see daxgup.conf)\n");
	return 0;
}
module_init(daxgup_init);

static void __exit daxgup_exit(void)
{
	/* unbinds every device; see daxgup_fsdax_unmap_going() */
	nd_driver_unregister(&daxgup_driver);
	daxgup_fsdax_exit();
}
module_exit(daxgup_exit);

/* nd_pmem's aliases: udev and ndctl load the driver of a device by them */
MODULE_ALIAS_ND_DEVICE(ND_DEVICE_NAMESPACE_IO);
MODULE_ALIAS_ND_DEVICE(ND_DEVICE_NAMESPACE_PMEM);
MODULE_DESCRIPTION("Persistent memory driver that keeps pinned DAX pages safe across removal");
MODULE_AUTHOR("daxgup developers <daxgup@lists.invalid>");
MODULE_LICENSE("GPL");
