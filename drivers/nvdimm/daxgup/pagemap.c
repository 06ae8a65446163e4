// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem pagemap: the life of the struct pages of an fsdax device.
 *
 * Map: the MEMORY_DEVICE_FS_DAX pagemap that gives the data struct pages
 * (memmap in RAM with -M mem, in the namespace itself through a vmem_altmap
 * with -M dev), set up from the pfn device's info block.
 *
 * Park: its removal unmaps the pages at once when none is in use, and
 * otherwise parks the memory of the pages still in use instead of waiting
 * for them, and releases it once they are let go.
 *
 * Hold: pages still in use after the last close of the disk keep the
 * module loaded, so that a later removal can park.  Only a removal that
 * rmmod itself starts waits for pinned pages (pin_wait_report_secs).
 *
 * The device's teardown (daxgup_teardown() in pmem.c) calls in here; this
 * file calls only into infoblock.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nd.h>
#include <linux/page_ref.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "nd-core.h"
#include "nd.h"
#include "pfn.h"
#include "daxgup_pmem.h"

/* pages scanned between two cond_resched() */
#define DAXGUP_SCAN_BATCH	4096

/*
 * The page that carries the refcount, the file and the index of the fsdax
 * page at @pfn: the head of its folio.  A kernel that makes the pages of a
 * PMD-sized DAX entry one folio keeps them there, and a tail page's own
 * fields hold the folio's (its mapping is TAIL_MAPPING, its refcount 0);
 * where fsdax pages are order-0 folios (Debian's 6.12), the page itself.
 * References are taken and dropped, and idle waits woken, on the head.
 */
static struct page *daxgup_head(unsigned long pfn)
{
	return &page_folio(pfn_to_page(pfn))->page;
}

/*
 * The file that the fsdax page at @pfn, whose head is @head, is tied to, or
 * NULL: also for a shared (reflinked) page, which names no single file,
 * and for a page that a fault is making part of a new folio right now.
 * That one's refcount is frozen at 0 before its mapping field changes
 * meaning (it holds the folio's data in a tail page), so look at the
 * refcount and the head again after the read.
 */
static struct address_space *daxgup_mapping(struct page *head,
					    unsigned long pfn)
{
	struct address_space *mapping;
	int ref = page_ref_count(head);

	/* the split unfreezes a page with release semantics, after its fields */
	smp_rmb();
	mapping = READ_ONCE(head->mapping);
	smp_rmb();
	if (!ref || !mapping || mapping == TAIL_MAPPING ||
	    (unsigned long)mapping & PAGE_MAPPING_FLAGS ||
	    !page_ref_count(head) || daxgup_head(pfn) != head)
		return NULL;
	return mapping;
}

/* The index in its file of the fsdax page at @pfn, whose head is @head. */
static pgoff_t daxgup_index(struct page *head, unsigned long pfn)
{
	return READ_ONCE(head->index) + (pfn - page_to_pfn(head));
}

/* parked pagemaps and holds; destroyed at unload once its works are done */
static struct workqueue_struct *daxgup_wq;

/**
 * struct daxgup_pagemap - the ZONE_DEVICE mapping of an fsdax device
 * @pgmap: the pagemap; must stay valid as long as one of its pages is
 *	referenced, which is why it is not devm memory
 * @pmem: the device, only while it is bound
 * @dax_dev: for the memory_failure handler, which may run until the
 *	pagemap is unmapped; the removal hands @pmem's reference over
 * @data_start: physical start of the data area
 * @data_end: physical end (exclusive) of the data area
 * @busy: our claim on the namespace's physical range in iomem
 * @name: name of @busy, which must not point into a device that can go
 * @parked: on daxgup_parked while the device is gone and pages are in use
 * @park_work: walks the pages in use, releases the pagemap at the end
 * @park_wait: on the wait queue of @park_page's refcount
 * @park_page: the page the walk waits for, or NULL
 * @park_pfn: the walk's cursor: every data page before it is unused
 * @park_recheck: when to look again at a page still tied to a file
 * @parked_at: jiffies when the device went
 * @dimms: the DIMMs of the region, kept busy while parked
 * @nr_dimms: how many of @dimms are held
 */
struct daxgup_pagemap {
	struct dev_pagemap pgmap;
	struct daxgup_pmem *pmem;
	struct dax_device *dax_dev;
	phys_addr_t data_start;
	phys_addr_t data_end;
	struct resource *busy;
	char name[32];
	struct list_head parked;
	struct delayed_work park_work;
	struct wait_queue_entry park_wait;
	struct page *park_page;
	unsigned long park_pfn;
	unsigned long park_recheck;
	unsigned long parked_at;
	struct nvdimm *dimms[ND_MAX_MAPPINGS];
	int nr_dimms;
};

/*
 * Machine check in a mapped page: let the filesystem (the dax holder)
 * find and handle the owner, like nd_pmem.  It only knows data offsets,
 * so errors in the info block or an in-pmem memmap, and errors after the
 * dax device died, go to the generic handler (-EOPNOTSUPP).
 */
static int daxgup_memory_failure(struct dev_pagemap *pgmap, unsigned long pfn,
				 unsigned long nr_pages, int mf_flags)
{
	struct daxgup_pagemap *map =
		container_of(pgmap, struct daxgup_pagemap, pgmap);
	phys_addr_t phys = PFN_PHYS(pfn);
	int rc;

	if (phys < map->data_start || phys >= map->data_end)
		return -EOPNOTSUPP;

	rc = dax_holder_notify_failure(map->dax_dev, phys - map->data_start,
				       PFN_PHYS(nr_pages), mf_flags);
	return rc == -ENXIO ? -EOPNOTSUPP : rc;
}

static const struct dev_pagemap_ops daxgup_pagemap_ops = {
	.memory_failure = daxgup_memory_failure,
};

static const char *daxgup_pfn_setup_reason(int rc)
{
	switch (rc) {
	case -ENODEV:
		return "pfn device not configured (no uuid or namespace)";
	case -ENXIO:
		return "info block unreadable, unknown mode, or missing on a read-only region";
	case -EOPNOTSUPP:
		return "info block rejected: page size, struct page size, alignment or offset";
	case -EINVAL:
		return "info block inconsistent with the namespace (offsets or alignment)";
	case -ENOMEM:
		return "out of memory";
	default:
		return "info block could not be read or written";
	}
}

/**
 * daxgup_fsdax_read_info_block() - validate the info block, set up @pgmap
 * @pmem: the device
 * @nd_pfn: the pfn device being probed
 * @pgmap: filled in by libnvdimm: range and, with -M dev, the altmap
 *
 * nvdimm_setup_pfn() validates an existing info block, or writes a new
 * one for a freshly configured pfn device (ndctl create-namespace), and
 * zeroes bad sectors of the memmap area the block names; so the block is
 * judged on a copy before (infoblock.c), and what libnvdimm set up after.
 * It needs the namespace's info block area mapped for nsio_rw_bytes.
 *
 * Return: 0 or a negative errno after a dev_err naming the reason.
 */
static int daxgup_fsdax_read_info_block(struct daxgup_pmem *pmem,
					struct nd_pfn *nd_pfn,
					struct dev_pagemap *pgmap)
{
	struct device *dev = pmem->dev;
	int rc;

	rc = devm_namespace_enable(dev, pmem->ndns, nd_info_block_reserve());
	if (rc) {
		dev_err(dev, "cannot map the info block of %s: %d\n",
			dev_name(&pmem->ndns->dev), rc);
		return rc;
	}

	/* judged on a copy first: libnvdimm writes to the namespace */
	rc = daxgup_info_judge(dev, nd_pfn);
	if (rc)
		return rc;

	rc = nvdimm_setup_pfn(nd_pfn, pgmap);
	if (rc) {
		/*
		 * Not disabled here: nvdimm_setup_pfn() may have failed to
		 * enable it again itself; devres undoes what is mapped.
		 */
		dev_err(dev, "%s: %d\n", daxgup_pfn_setup_reason(rc), rc);
		daxgup_refused(dev, pmem->ndns);
		return rc;
	}
	/* from here on the namespace is ours: no more raw access */
	devm_namespace_disable(dev, pmem->ndns);

	rc = daxgup_info_check_setup(pmem, nd_pfn, pgmap);
	if (rc)
		return rc;

	pmem->data_offset = le64_to_cpu(nd_pfn->pfn_sb->dataoff);
	pmem->end_pad = le32_to_cpu(nd_pfn->pfn_sb->end_trunc);
	return 0;
}

/**
 * daxgup_fsdax_map() - map an fsdax device's namespace with struct pages
 * @pmem: the device, its dax_device already allocated
 * @nd_pfn: the pfn device, or NULL for a namespace of a legacy region
 *	(memmap=, e820) that is all data, its memmap in RAM
 *
 * Not devm_memremap_pages(): its release unmaps at once, under pages in
 * use.  memremap_pages() here, and daxgup_fsdax_unmap() in the device's
 * teardown, let the removal park those instead.
 *
 * Return: 0 with @pmem->pagemap set, or a negative errno with the pagemap
 * not mapped.
 */
int daxgup_fsdax_map(struct daxgup_pmem *pmem, struct nd_pfn *nd_pfn)
{
	struct device *dev = pmem->dev;
	struct daxgup_pagemap *map;
	void *addr;
	int rc;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;

	if (nd_pfn) {
		rc = daxgup_fsdax_read_info_block(pmem, nd_pfn, &map->pgmap);
		if (rc)
			goto err_free;
	} else {
		map->pgmap.range.start = pmem->phys_addr;
		map->pgmap.range.end = pmem->phys_addr + pmem->size - 1;
		map->pgmap.nr_range = 1;
	}

	map->pmem = pmem;
	map->dax_dev = pmem->dax_dev;
	map->data_start = pmem->phys_addr + pmem->data_offset;
	map->data_end = map->data_start + daxgup_data_len(pmem);
	strscpy(map->name, dev_name(&pmem->ndns->dev));
	map->pgmap.type = MEMORY_DEVICE_FS_DAX;
	map->pgmap.ops = &daxgup_pagemap_ops;

	map->busy = request_mem_region(pmem->phys_addr, pmem->size, map->name);
	if (!map->busy) {
		dev_err(dev, "%pa (%pa bytes) is busy, another driver maps it\n",
			&pmem->phys_addr, &pmem->size);
		rc = -EBUSY;
		goto err_free;
	}

	addr = memremap_pages(&map->pgmap, dev_to_node(dev));
	if (IS_ERR(addr)) {
		rc = PTR_ERR(addr);
		dev_err(dev, "cannot create struct pages (memmap in %s): %d\n",
			pgmap_altmap(&map->pgmap) ? "pmem" : "RAM", rc);
		goto err_release;
	}
	pmem->virt_addr = addr;
	pmem->has_pages = true;
	/*
	 * memremap_pages() sets the ref up without PERCPU_REF_ALLOW_REINIT,
	 * so a kill would free its per-cpu counters and the ref could not be
	 * brought back for memunmap_pages() (daxgup_pagemap_unmap()).  Keep
	 * them: percpu_ref_exit() in memunmap_pages() frees them anyway.
	 * Nothing else switches the ref's mode before the removal.
	 */
	map->pgmap.ref.data->allow_reinit = true;
	pmem->pagemap = map;

	dev_dbg(dev, "data %pa-%pa, memmap in %s\n",
		&map->data_start, &map->data_end,
		pgmap_altmap(&map->pgmap) ? "pmem" : "RAM");
	return 0;

err_release:
	release_mem_region(pmem->phys_addr, pmem->size);
err_free:
	kfree(map);
	return rc;
}

/*
 * Removal and parking.
 *
 * The pagemap's percpu_ref is what GUP takes while it walks the page
 * tables (get_dev_pagemap()).  Killing it and draining it makes every new
 * get_user_pages() or pin_user_pages() of the device fail, and makes every
 * reference GUP took before visible in a page refcount, which is 1 for an
 * idle fsdax page.  memremap_pages() took one pagemap reference per page;
 * memunmap_pages() kills the ref and drops those again, so a pagemap that
 * was drained here is brought back to that state before it is unmapped.
 */
static unsigned long daxgup_pagemap_refs(struct daxgup_pagemap *map)
{
	struct dev_pagemap *pgmap = &map->pgmap;

	return PHYS_PFN(range_len(&pgmap->range)) -
	       vmem_altmap_offset(pgmap_altmap(pgmap));
}

static void daxgup_pagemap_kill(struct daxgup_pagemap *map)
{
	percpu_ref_kill(&map->pgmap.ref);
	percpu_ref_put_many(&map->pgmap.ref, daxgup_pagemap_refs(map));
	wait_for_completion(&map->pgmap.done);
}

static void daxgup_pagemap_unmap(struct daxgup_pagemap *map)
{
	reinit_completion(&map->pgmap.done);
	/* the base reference, which the kill dropped, then the pages' */
	percpu_ref_resurrect(&map->pgmap.ref);
	percpu_ref_get_many(&map->pgmap.ref, daxgup_pagemap_refs(map));
	memunmap_pages(&map->pgmap);
}

/*
 * A page of the dead pagemap is in use while someone holds a reference
 * (DMA in flight, a page in a pipe or a socket, a long-term pin) or while
 * it is tied to a file: fs/dax.c touches the page again when it drops the
 * file's DAX entry (on truncate, eviction, unmount), unless the kernel
 * dropped it when the device died.  Neither can start again: GUP fails on
 * the dead pagemap, and DAX faults on the dead dax_device.
 *
 * 6.12 leaves the user mappings of a DAX file in place when its device
 * dies (only xfs with rmapbt zaps them; the daxgup series revokes them in
 * every filesystem).  A task could then go on reaching parked memory, and
 * GUP, which finds the pagemap dead behind a present entry, would retry
 * that entry until the task is killed.  So zap, file by file, the pages
 * still tied to one: a later access faults, and the fault fails on the
 * dead dax_device (SIGBUS).  page->mapping is read again under RCU before
 * the inode is grabbed: an inode is freed only a grace period after its
 * eviction untied its pages, and igrab() refuses one being evicted.
 * Shared (reflinked) pages name no single file and are left alone.
 *
 * The same pass counts the pages in use, @pinned and (not pinned but)
 * @tied: zapping unties nothing.
 */
static void daxgup_fsdax_zap(struct daxgup_pagemap *map,
			     unsigned long *pinned, unsigned long *tied)
{
	unsigned long pfn, end = PHYS_PFN(map->data_end);
	struct address_space *mapping, *cur = NULL;
	pgoff_t index = 0, start = 0, nr = 0;
	struct inode *inode = NULL;
	struct page *page = NULL;

	*pinned = *tied = 0;
	for (pfn = PHYS_PFN(map->data_start); pfn <= end; pfn++) {
		mapping = NULL;
		if (pfn < end) {
			page = daxgup_head(pfn);
			mapping = READ_ONCE(page->mapping);
			index = daxgup_index(page, pfn);
			if (page_ref_count(page) > 1)
				(*pinned)++;
			else if (mapping)
				(*tied)++;
			mapping = daxgup_mapping(page, pfn);
		}
		if (mapping && mapping == cur && index == start + nr) {
			nr++;
			continue;
		}
		if (cur) {
			unmap_mapping_pages(cur, start, nr, false);
			iput(inode);
			cur = NULL;
		}
		if (mapping) {
			rcu_read_lock();
			mapping = daxgup_mapping(page, pfn);
			inode = NULL;
			if (mapping)
				inode = igrab(mapping->host);
			rcu_read_unlock();
			if (inode) {
				cur = mapping;
				start = daxgup_index(page, pfn);
				nr = 1;
			}
		}
		if (!(pfn % DAXGUP_SCAN_BATCH))
			cond_resched();
	}
}

static void daxgup_fsdax_release(struct daxgup_pagemap *map)
{
	daxgup_pagemap_unmap(map);
	release_mem_region(map->busy->start, resource_size(map->busy));
	/* killed in daxgup_teardown()'s step 2, unless the probe failed before the disk */
	kill_dax(map->dax_dev);
	put_dax(map->dax_dev);
	kfree(map);
}

/*
 * Parked pagemaps: removed devices whose pages are still in use.  The
 * removal does not wait for them.  What a parked pagemap keeps is what a
 * page in use can reach: the memmap and the direct map (DMA lands there,
 * the final put reads page->pgmap), our claim on the physical range, so
 * that no driver maps it again meanwhile, the busy count of its DIMMs, so
 * that they are not erased or overwritten under the DMA, the dax_device of
 * the memory_failure handler, and this module.
 *
 * A cursor walks the data pages once.  At a page with references it hangs
 * a wait entry on that page's refcount, which the final put wakes
 * (__put_devmap_managed_folio_refs()); at a page still tied to a file,
 * which nothing signals, it checks again later, backing off.  A page the
 * cursor has passed stays unused (see daxgup_fsdax_zap()).  When the
 * cursor reaches the end the pagemap is unmapped and its memory released.
 */
static LIST_HEAD(daxgup_parked);
static DEFINE_MUTEX(daxgup_parked_lock);

#define DAXGUP_TIED_RECHECK_MIN	(HZ / 4)
#define DAXGUP_TIED_RECHECK_MAX	(8 * HZ)

/* Called under the page's wait queue lock, maybe in interrupt context. */
static int daxgup_parked_wake(struct wait_queue_entry *wait, unsigned int mode,
			      int sync, void *arg)
{
	struct daxgup_pagemap *map =
		container_of(wait, struct daxgup_pagemap, park_wait);
	struct wait_bit_key *key = arg;

	if (key->flags == &map->park_page->_refcount)
		mod_delayed_work(daxgup_wq, &map->park_work, 0);
	return 0;
}

static void daxgup_parked_unwait(struct daxgup_pagemap *map)
{
	if (!map->park_page)
		return;
	remove_wait_queue(__var_waitqueue(&map->park_page->_refcount),
			  &map->park_wait);
	map->park_page = NULL;
}

/*
 * Wait for @page to become idle.  The entry goes on the queue before the
 * refcount is read again: a put that brings the page to 1 after that read
 * finds the entry (the put's atomic is a full barrier, and so is ours).
 */
static bool daxgup_parked_wait(struct daxgup_pagemap *map, struct page *page)
{
	map->park_page = page;
	add_wait_queue(__var_waitqueue(&page->_refcount), &map->park_wait);
	/* pairs with the put's value-returning atomic before wake_up_var() */
	smp_mb();
	if (page_ref_count(page) > 1)
		return true;
	daxgup_parked_unwait(map);
	return false;
}

static void daxgup_parked_drop_dimms(struct daxgup_pagemap *map)
{
	int i;

	for (i = 0; i < map->nr_dimms; i++) {
		atomic_dec(&map->dimms[i]->busy);
		put_device(&map->dimms[i]->dev);
	}
	map->nr_dimms = 0;
}

static void daxgup_parked_work_fn(struct work_struct *work)
{
	struct daxgup_pagemap *map =
		container_of(to_delayed_work(work), struct daxgup_pagemap,
			     park_work);
	unsigned long end = PHYS_PFN(map->data_end);
	struct page *page;

	daxgup_parked_unwait(map);
	for (; map->park_pfn < end; map->park_pfn++) {
		page = daxgup_head(map->park_pfn);
		if (page_ref_count(page) > 1 && daxgup_parked_wait(map, page))
			return;
		if (READ_ONCE(page->mapping)) {
			queue_delayed_work(daxgup_wq, &map->park_work,
					   map->park_recheck);
			map->park_recheck = min(2 * map->park_recheck,
						DAXGUP_TIED_RECHECK_MAX);
			return;
		}
		if (!(map->park_pfn % DAXGUP_SCAN_BATCH))
			cond_resched();
	}

	/* No wait entry is left to queue us again: nothing else runs us. */
	cancel_delayed_work(&map->park_work);

	/*
	 * Off the list only once the range is free again: a probe that no
	 * longer finds it parked must be able to claim it.
	 */
	mutex_lock(&daxgup_parked_lock);
	pr_info("%s: released %pa-%pa, parked for %u ms\n", map->name,
		&map->data_start, &map->data_end,
		jiffies_to_msecs(jiffies - map->parked_at));
	daxgup_parked_drop_dimms(map);
	list_del(&map->parked);
	daxgup_fsdax_release(map);
	mutex_unlock(&daxgup_parked_lock);
	module_put(THIS_MODULE);
}

/* Keep the region's DIMMs busy: no secure erase or overwrite under DMA. */
static void daxgup_parked_hold_dimms(struct daxgup_pagemap *map,
				     struct nd_region *nd_region)
{
	struct nvdimm *nvdimm;
	int i;

	for (i = 0; i < min(nd_region->ndr_mappings, ND_MAX_MAPPINGS); i++) {
		nvdimm = nd_region->mapping[i].nvdimm;
		get_device(&nvdimm->dev);
		atomic_inc(&nvdimm->busy);
		map->dimms[map->nr_dimms++] = nvdimm;
	}
}

static void daxgup_fsdax_park(struct daxgup_pagemap *map,
			      unsigned long pinned, unsigned long tied)
{
	struct daxgup_pmem *pmem = map->pmem;

	daxgup_parked_hold_dimms(map, pmem->region);
	init_waitqueue_func_entry(&map->park_wait, daxgup_parked_wake);
	INIT_DELAYED_WORK(&map->park_work, daxgup_parked_work_fn);
	map->park_pfn = PHYS_PFN(map->data_start);
	map->park_recheck = DAXGUP_TIED_RECHECK_MIN;
	map->parked_at = jiffies;
	map->pmem = NULL;

	mutex_lock(&daxgup_parked_lock);
	list_add_tail(&map->parked, &daxgup_parked);
	mutex_unlock(&daxgup_parked_lock);

	dev_info(pmem->dev, "parked %pa-%pa: %lu pages pinned, %lu more tied to files; released once they are let go\n",
		 &map->data_start, &map->data_end, pinned, tied);
	queue_delayed_work(daxgup_wq, &map->park_work, 0);
}

/**
 * daxgup_parked_show() - /sys/bus/nd/drivers/daxgup_pmem/parked
 * @drv: the driver
 * @buf: one line per parked pagemap: namespace, data range, and the pages
 *	its walk has not yet seen unused (not all of them are in use)
 *
 * Return: the length of @buf.
 */
ssize_t daxgup_parked_show(struct device_driver *drv, char *buf)
{
	struct daxgup_pagemap *map;
	ssize_t len = 0;

	mutex_lock(&daxgup_parked_lock);
	list_for_each_entry(map, &daxgup_parked, parked)
		len += sysfs_emit_at(buf, len, "%s %pa-%pa %lu\n", map->name,
				     &map->data_start, &map->data_end,
				     PHYS_PFN(map->data_end) -
				     READ_ONCE(map->park_pfn));
	mutex_unlock(&daxgup_parked_lock);
	return len;
}

/**
 * daxgup_fsdax_check_parked() - refuse a range that a parked pagemap holds
 * @dev: the device being probed
 * @start: physical start of its namespace
 * @size: size of its namespace
 *
 * Return: 0, or -EBUSY after a dev_err naming the reason.
 */
int daxgup_fsdax_check_parked(struct device *dev, phys_addr_t start,
			      resource_size_t size)
{
	struct daxgup_pagemap *map;
	int rc = 0;

	mutex_lock(&daxgup_parked_lock);
	list_for_each_entry(map, &daxgup_parked, parked) {
		if (map->busy->start > start + size - 1 ||
		    map->busy->end < start)
			continue;
		dev_err(dev, "%pa-%pa of its previous pagemap is parked: pages are still pinned or tied to files (see /sys/bus/nd/drivers/%s/parked); try again once they are let go\n",
			&map->data_start, &map->data_end, KBUILD_MODNAME);
		rc = -EBUSY;
		break;
	}
	mutex_unlock(&daxgup_parked_lock);
	return rc;
}

/*
 * Pin wait, for a removal that cannot park: before the pagemap is unmapped,
 * wait until none of its pages is referenced any more, e.g. by direct I/O
 * still in flight into a DAX mapping (pin_user_pages()).
 *
 * MEMORY_DEVICE_FS_DAX pages are 1-based: refcount 1 means idle.  In 6.12
 * the put that brings a page back to 1 calls wake_up_var(&folio->_refcount)
 * (__put_devmap_managed_folio_refs()): the head page's refcount, the
 * variable waited on here (daxgup_head()).
 */

static unsigned int pin_wait_report_secs = 10;

/*
 * Out-of-range values fail insmod (the kernel names the parameter) and
 * writes to /sys/module/daxgup_pmem/parameters/; they are not clamped.
 */
static int pin_wait_report_secs_set(const char *val,
				    const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 3600);
}

static const struct kernel_param_ops pin_wait_report_secs_ops = {
	.set = pin_wait_report_secs_set,
	.get = param_get_uint,
};

module_param_cb(pin_wait_report_secs, &pin_wait_report_secs_ops,
		&pin_wait_report_secs, 0644);
MODULE_PARM_DESC(pin_wait_report_secs,
		 "Seconds between log lines while rmmod waits for pinned DAX pages (1..3600, default 10)");

static bool daxgup_page_pinned(struct page *page)
{
	return page_ref_count(page) > 1;
}

/* first pinned pfn in [@pfn, @end_pfn), or @end_pfn */
static unsigned long daxgup_next_pinned(unsigned long pfn,
					unsigned long end_pfn)
{
	for (; pfn < end_pfn; pfn++) {
		if (daxgup_page_pinned(daxgup_head(pfn)))
			break;
		if (!(pfn % DAXGUP_SCAN_BATCH))
			cond_resched();
	}
	return pfn;
}

static unsigned long daxgup_count_pinned(unsigned long pfn,
					 unsigned long end_pfn)
{
	unsigned long nr = 0;

	while ((pfn = daxgup_next_pinned(pfn, end_pfn)) < end_pfn) {
		nr++;
		pfn++;
	}
	return nr;
}

/*
 * wait_var_event_killable() with a timeout, which wait_bit.h does not
 * offer: killable so that an unbind stuck behind a pin can be abandoned,
 * timed so that the wait can be reported.
 *
 * Return: > 0 idle, 0 timed out, -ERESTARTSYS on a fatal signal.
 */
static long daxgup_wait_page_idle(struct page *page, long timeout)
{
	return ___wait_var_event(&page->_refcount,
				 ___wait_cond_timeout(!daxgup_page_pinned(page)),
				 TASK_KILLABLE, 0, timeout,
				 __ret = schedule_timeout(__ret));
}

/**
 * daxgup_wait_unpinned() - wait until no page of a pfn range is pinned
 * @dev: the device being removed, named in the log
 * @start_pfn: first pfn of the range
 * @end_pfn: pfn after the range
 *
 * Waits on one pinned page at a time and moves on when it is released.
 * Every pin_wait_report_secs the device and the number of pinned pages
 * are logged.  Only a pass over the whole range that finds nothing pinned
 * ends the wait: a page behind the cursor may have been pinned while we
 * slept, through a mapping not yet torn down.
 *
 * Return: 0 when the range is idle; the number of pages still pinned when
 * a fatal signal ended the wait (the caller must not unmap then).
 */
static unsigned long daxgup_wait_unpinned(struct device *dev,
					  unsigned long start_pfn,
					  unsigned long end_pfn)
{
	unsigned long period = READ_ONCE(pin_wait_report_secs) * HZ;
	unsigned long begin = jiffies;
	unsigned long next_report = begin + period;
	unsigned long pfn = start_pfn;
	bool waited_this_pass = false;
	bool waited = false;
	long timeout, rc;

	for (;;) {
		pfn = daxgup_next_pinned(pfn, end_pfn);
		if (pfn == end_pfn) {
			if (!waited_this_pass)
				break;
			waited_this_pass = false;
			pfn = start_pfn;
			continue;
		}

		if (!waited)
			dev_info(dev, "waiting for %lu pinned pages before unmapping\n",
				 daxgup_count_pinned(pfn, end_pfn));
		waited = true;
		waited_this_pass = true;

		timeout = max_t(long, (long)(next_report - jiffies), 1);
		rc = daxgup_wait_page_idle(daxgup_head(pfn), timeout);
		if (rc < 0)
			return daxgup_count_pinned(start_pfn, end_pfn);
		if (rc == 0) {
			dev_warn(dev, "still waiting for %lu pinned pages after %lu s\n",
				 daxgup_count_pinned(start_pfn, end_pfn),
				 (jiffies - begin) / HZ);
			period = READ_ONCE(pin_wait_report_secs) * HZ;
			next_report = jiffies + period;
		}
	}

	if (waited)
		dev_info(dev, "all pages unpinned after %u ms\n",
			 jiffies_to_msecs(jiffies - begin));
	return 0;
}

/*
 * rmmod with the device still bound: the module cannot be pinned, so it
 * cannot park.  A mounted disk holds the module, and so do pages still in
 * use after its last close (the hold, below): rmmod is refused while a
 * page is in use, and this is not expected to find one.  Should it, wait
 * for the pins, killably; interrupted, the pagemap is left as it is until
 * reboot: its dead pagemap keeps the memory_failure handler from being
 * called.
 */
static void daxgup_fsdax_unmap_going(struct daxgup_pagemap *map)
{
	struct daxgup_pmem *pmem = map->pmem;
	unsigned long pinned;

	pinned = daxgup_wait_unpinned(pmem->dev, PHYS_PFN(map->data_start),
				      PHYS_PFN(map->data_end));
	if (!pinned) {
		daxgup_fsdax_release(map);
		return;
	}
	dev_crit(pmem->dev, "module unloading, interrupted while %lu pages are pinned: leaving %pa-%pa mapped until reboot\n",
		 pinned, &map->data_start, &map->data_end);
}

/**
 * daxgup_fsdax_unmap() - the removal of the pagemap
 * @pmem: the device, with @pmem->pagemap set
 *
 * Step 4 of daxgup_teardown(): after the disk's removal has killed DAX and
 * told the filesystem, or when a probe fails after mapping.  New pins fail
 * from here on; memory still in use is parked, the removal does not wait
 * for it.  The pagemap takes over @pmem's dax_device reference, for its
 * memory_failure handler.
 */
void daxgup_fsdax_unmap(struct daxgup_pmem *pmem)
{
	struct daxgup_pagemap *map = pmem->pagemap;
	unsigned long pinned, tied;

	pmem->pagemap = NULL;
	/* killed by the disk's removal; ours to put now (not daxgup_teardown()'s) */
	pmem->dax_dev = NULL;

	daxgup_pagemap_kill(map);
	daxgup_fsdax_zap(map, &pinned, &tied);
	if (!pinned && !tied) {
		daxgup_fsdax_release(map);
		return;
	}
	if (!try_module_get(THIS_MODULE)) {
		daxgup_fsdax_unmap_going(map);
		return;
	}
	daxgup_fsdax_park(map, pinned, tied);
}

/*
 * Module hold: pages referenced after the last close of the disk keep the
 * module loaded.
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
 * every page from there on is idle: rmmod is refused (EBUSY) meanwhile.
 * A walk like the parked one (above): at a referenced page a wait entry on
 * its refcount, which the put that brings it back to 1 wakes.  No page can be referenced
 * anew once the disk is closed: that takes a DAX mapping, so a mount, so an
 * open.  A new open and close start the walk again from the first page.
 *
 * The removal stops the walk and drops its reference: the removal holds
 * one of its own from its start until the pagemap is unmapped or parked
 * (steps 1 and 5 of daxgup_teardown()), so that rmmod cannot slip
 * in between and find the module unpinned while memory is still in use.
 */

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
		page = daxgup_head(hold->pfn);
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
	/* no DAX user is left to map a page again: see "Module hold" above */
	WRITE_ONCE(hold->mapped, false);
	pfn = daxgup_hold_start_pfn(pmem);

	mutex_lock(&hold->lock);
	if (!hold->held) {
		end = daxgup_hold_end_pfn(pmem);
		for (; pfn < end; pfn++) {
			if (page_ref_count(daxgup_head(pfn)) > 1)
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

/**
 * daxgup_fsdax_init() - set up the workqueue of the parked pagemaps
 *
 * Return: 0 or -ENOMEM.
 */
int daxgup_fsdax_init(void)
{
	daxgup_wq = alloc_workqueue("daxgup_parked", WQ_UNBOUND, 0);
	return daxgup_wq ? 0 : -ENOMEM;
}

/**
 * daxgup_fsdax_exit() - tear down the workqueue at module unload
 *
 * Each parked pagemap pins the module, so none is left; this waits for a
 * worker that released the last one and is still returning.
 */
void daxgup_fsdax_exit(void)
{
	destroy_workqueue(daxgup_wq);
}
