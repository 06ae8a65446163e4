// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem module hold: pages referenced after the last close of the
 * disk keep the module loaded.
 *
 * A removal parks the memory of pages still in use, and parking is module
 * code that must stay until the last reference goes.  A removal that rmmod
 * itself starts cannot park: the module is already going.  While a
 * filesystem is mounted its open block device holds the module, so rmmod
 * is refused.  But on kernels whose unmount does not wait for pinned DAX
 * pages (6.12 without the daxgup series) an O_DIRECT read into an unmapped
 * DAX file, or a page in a pipe, outlives the unmount and so the last
 * close: rmmod could then only wait for it, and a wait that is interrupted
 * can only leave the memory mapped until reboot.
 *
 * So the last close of a disk whose pages were mapped (a DAX fault asked
 * daxgup_dax_direct_access() for a pfn) looks for pages still referenced
 * and, if it finds one, takes a module reference that is dropped once
 * every page from there on is idle: rmmod is refused (EBUSY) meanwhile.  A walk like the
 * parked one (fsdax.c): at a referenced page a wait entry on its refcount,
 * which the put that brings it back to 1 wakes.  No page can be referenced
 * anew once the disk is closed: that takes a DAX mapping, so a mount, so an
 * open.  A new open and close start the walk again from the first page.
 *
 * The removal stops the walk and drops its reference: the removal holds
 * one of its own from its start until the pagemap is unmapped or parked
 * (daxgup_blk_release(), daxgup_dax_release()), so that rmmod cannot slip
 * in between and find the module unpinned while memory is still in use.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "daxgup_pmem.h"

/* orders the disk's release against the device's removal */
static DEFINE_MUTEX(daxgup_hold_lock);

static unsigned long daxgup_hold_start_pfn(struct daxgup_pmem *pmem)
{
	return PHYS_PFN(pmem->phys_addr + pmem->data_offset);
}

static unsigned long daxgup_hold_end_pfn(struct daxgup_pmem *pmem)
{
	return daxgup_hold_start_pfn(pmem) + PHYS_PFN(daxgup_data_len(pmem));
}

/* Called under the page's wait queue lock, maybe in interrupt context. */
static int daxgup_hold_wake(struct wait_queue_entry *wait, unsigned int mode,
			    int sync, void *arg)
{
	struct daxgup_hold *hold = container_of(wait, struct daxgup_hold, wait);
	struct wait_bit_key *key = arg;

	if (key->flags == &hold->page->_refcount)
		queue_work(daxgup_wq, &hold->work);
	return 0;
}

static void daxgup_hold_unwait(struct daxgup_hold *hold)
{
	if (!hold->page)
		return;
	remove_wait_queue(__var_waitqueue(&hold->page->_refcount), &hold->wait);
	hold->page = NULL;
}

/* As daxgup_parked_wait(): queued first, then the refcount read again. */
static bool daxgup_hold_wait(struct daxgup_hold *hold, struct page *page)
{
	hold->page = page;
	add_wait_queue(__var_waitqueue(&page->_refcount), &hold->wait);
	/* pairs with the put's value-returning atomic before wake_up_var() */
	smp_mb();
	if (page_ref_count(page) > 1)
		return true;
	daxgup_hold_unwait(hold);
	return false;
}

/*
 * The walk holds @hold->lock, which only a last close and the removal
 * take: it stops at the first page in use, so it runs long only when the
 * pages it passes were all let go meanwhile.
 */
static void daxgup_hold_work_fn(struct work_struct *work)
{
	struct daxgup_hold *hold = container_of(work, struct daxgup_hold, work);
	struct daxgup_pmem *pmem = container_of(hold, struct daxgup_pmem, hold);
	unsigned long end = daxgup_hold_end_pfn(pmem);
	struct page *page;

	mutex_lock(&hold->lock);
	daxgup_hold_unwait(hold);
	if (!hold->held)
		goto out;
	for (; hold->pfn < end; hold->pfn++) {
		page = pfn_to_page(hold->pfn);
		if (page_ref_count(page) > 1 && daxgup_hold_wait(hold, page))
			goto out;
		if (!(hold->pfn % DAXGUP_SCAN_BATCH))
			cond_resched();
	}
	hold->held = false;
	mutex_unlock(&hold->lock);
	dev_info(pmem->dev, "no page is in use any more: %s may be unloaded\n",
		 KBUILD_MODNAME);
	/*
	 * daxgup_hold_stop() cancels us before @pmem goes, and the module's
	 * exit destroys daxgup_wq, which waits for us to return.
	 */
	module_put(THIS_MODULE);
	return;
out:
	mutex_unlock(&hold->lock);
}

/**
 * daxgup_hold_init() - set up the hold of an fsdax device
 * @pmem: the device, before its disk is added
 */
void daxgup_hold_init(struct daxgup_pmem *pmem)
{
	struct daxgup_hold *hold = &pmem->hold;

	mutex_init(&hold->lock);
	init_waitqueue_func_entry(&hold->wait, daxgup_hold_wake);
	INIT_WORK(&hold->work, daxgup_hold_work_fn);
}

/**
 * daxgup_hold_disk_release() - the disk's ->release
 * @disk: the disk
 *
 * At the last close of a disk whose pages were mapped since the previous
 * one, take a module reference if a data page is still referenced, and
 * start the walk that drops it once no page is.
 *
 * Context: process context, under @disk->open_mutex (blkdev_put_whole()),
 * before the opener's module reference is dropped (bdev_release()).
 */
void daxgup_hold_disk_release(struct gendisk *disk)
{
	struct daxgup_pmem *pmem;
	struct daxgup_hold *hold;
	unsigned long pfn, end;

	/* called at every close, the last one included */
	if (disk_openers(disk))
		return;

	mutex_lock(&daxgup_hold_lock);
	pmem = disk->private_data;
	if (!pmem || !pmem->has_pages || pmem->hold.stopped ||
	    !READ_ONCE(pmem->hold.mapped))
		goto out;
	hold = &pmem->hold;
	/* no DAX user is left to map a page again: see the top of the file */
	WRITE_ONCE(hold->mapped, false);
	pfn = daxgup_hold_start_pfn(pmem);

	mutex_lock(&hold->lock);
	if (!hold->held) {
		end = daxgup_hold_end_pfn(pmem);
		for (; pfn < end; pfn++) {
			if (page_ref_count(pfn_to_page(pfn)) > 1)
				break;
			if (!(pfn % DAXGUP_SCAN_BATCH))
				cond_resched();
		}
		if (pfn == end) {
			mutex_unlock(&hold->lock);
			goto out;
		}
		/* the opener's reference is still held: the module is live */
		__module_get(THIS_MODULE);
		hold->held = true;
		dev_info(pmem->dev, "pages in use after the last close (pfn %#lx): %s stays loaded until they are let go\n",
			 pfn, KBUILD_MODNAME);
	}
	/* a walk under way starts again: pages it passed were mapped again */
	hold->pfn = pfn;
	mutex_unlock(&hold->lock);
	queue_work(daxgup_wq, &hold->work);
out:
	mutex_unlock(&daxgup_hold_lock);
}

/**
 * daxgup_hold_stop() - the removal: no more holds, the walk stopped
 * @pmem: the device, at the start of its removal, which holds a module
 *	reference of its own unless rmmod started it (then nothing is held)
 */
void daxgup_hold_stop(struct daxgup_pmem *pmem)
{
	struct daxgup_hold *hold = &pmem->hold;
	bool held;

	if (!pmem->has_pages)
		return;
	mutex_lock(&daxgup_hold_lock);
	hold->stopped = true;
	mutex_unlock(&daxgup_hold_lock);

	mutex_lock(&hold->lock);
	held = hold->held;
	hold->held = false;
	daxgup_hold_unwait(hold);
	mutex_unlock(&hold->lock);
	/* final: a run that starts now finds !held and adds no wait entry */
	cancel_work_sync(&hold->work);
	if (held)
		module_put(THIS_MODULE);
}

/**
 * daxgup_hold_forget_disk() - the disk is deleted: its release is no longer ours
 * @pmem: the device, after del_gendisk()
 *
 * The disk can outlive @pmem while a filesystem keeps it open.
 */
void daxgup_hold_forget_disk(struct daxgup_pmem *pmem)
{
	mutex_lock(&daxgup_hold_lock);
	pmem->disk->private_data = NULL;
	mutex_unlock(&daxgup_hold_lock);
}
