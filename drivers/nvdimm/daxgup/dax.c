// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem dax_device: how ext4 and xfs mounted with -o dax reach the
 * pages of an fsdax namespace.  Page offsets (pgoff) count from the first
 * data sector, like the block device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/nd.h>
#include <linux/pfn_t.h>
#include <linux/uio.h>

#include "nd.h"
#include "daxgup_pmem.h"

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
		/* a fault maps pages: look for them at the last close (hold.c) */
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

/*
 * devres action registered before the pagemap, so it runs after the
 * pagemap's removal, which takes the reference over for its
 * memory_failure handler (and clears @pmem->dax_dev).  The removal's
 * module reference (daxgup_blk_release()) goes here too: the pagemap is
 * unmapped or parked by now.
 */
static void daxgup_dax_release(void *data)
{
	struct daxgup_pmem *pmem = data;

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
int daxgup_dax_alloc(struct daxgup_pmem *pmem)
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

	return devm_add_action_or_reset(pmem->dev, daxgup_dax_release, pmem);
}
