// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem block device: bio-based, each segment copied synchronously
 * to or from the persistent memory; media errors (badblocks) fail reads
 * and are cleared by writes where the platform can clear them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/nd.h>
#include <linux/set_memory.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "nd.h"
#include "daxgup_pmem.h"

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
long daxgup_pmem_clear_poison(struct daxgup_pmem *pmem, phys_addr_t offset,
			      unsigned int len)
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
void daxgup_pmem_forget_bad(struct daxgup_pmem *pmem, phys_addr_t offset,
			    long len)
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
blk_status_t daxgup_pmem_write(struct daxgup_pmem *pmem, struct page *page,
			       unsigned int off, sector_t sector,
			       unsigned int len)
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

/**
 * daxgup_blk_map_raw() - map a raw namespace for block I/O only
 * @pmem: the device, phys_addr and size set
 *
 * Raw mode has no struct pages and no dax_device: the mapping is a plain
 * memremap() and DAX stays off (configure the namespace as fsdax for DAX).
 *
 * Return: 0 or a negative errno.
 */
int daxgup_blk_map_raw(struct daxgup_pmem *pmem)
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

void daxgup_blk_revalidate_poison(struct daxgup_pmem *pmem)
{
	daxgup_blk_populate_badblocks(pmem);
	if (pmem->bb_state)
		sysfs_notify_dirent(pmem->bb_state);
}

/*
 * devres action, the last one registered by probe and so the first to run
 * on removal: stop DAX before the pin wait of the pagemap starts.
 * kill_dax() makes dax_direct_access() fail from now on and, for a holder
 * such as xfs, notifies it with MF_MEM_PRE_REMOVE so that it unmaps its
 * DAX files; del_gendisk() then marks the disk dead, which shuts the
 * filesystem down, and drains the bios still in daxgup_submit_bio().
 */
static void daxgup_blk_release(void *data)
{
	struct daxgup_pmem *pmem = data;

	/*
	 * Held until the pagemap is unmapped or parked (daxgup_dax_release()):
	 * a last close from here on takes no hold, and an rmmod meanwhile
	 * must not find the module free while pages are in use.  Fails only
	 * when rmmod started this removal.
	 */
	if (pmem->has_pages)
		pmem->removal_ref = try_module_get(THIS_MODULE);
	daxgup_hold_stop(pmem);
	if (pmem->dax_dev) {
		kill_dax(pmem->dax_dev);
		dax_remove_host(pmem->disk);
	}
	sysfs_put(pmem->bb_state);
	pmem->bb_state = NULL;
	del_gendisk(pmem->disk);
	daxgup_hold_forget_disk(pmem);
	put_disk(pmem->disk);
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
int daxgup_blk_add_disk(struct daxgup_pmem *pmem)
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

	rc = devm_add_action_or_reset(dev, daxgup_blk_release, pmem);
	if (rc)
		return rc;

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
