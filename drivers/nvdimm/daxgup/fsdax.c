// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem fsdax: the pfn device's info block, the MEMORY_DEVICE_FS_DAX
 * pagemap that gives the data struct pages (memmap in RAM with -M mem, in
 * the namespace itself through a vmem_altmap with -M dev), and its
 * removal, which parks memory still in use instead of waiting for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dax.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nd.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "nd-core.h"
#include "nd.h"
#include "pfn.h"
#include "daxgup_pmem.h"

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
			page = pfn_to_page(pfn);
			mapping = READ_ONCE(page->mapping);
			index = READ_ONCE(page->index);
			if (page_ref_count(page) > 1)
				(*pinned)++;
			else if (mapping)
				(*tied)++;
			if ((unsigned long)mapping & PAGE_MAPPING_FLAGS)
				mapping = NULL;
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
			mapping = READ_ONCE(page->mapping);
			inode = NULL;
			if (mapping &&
			    !((unsigned long)mapping & PAGE_MAPPING_FLAGS))
				inode = igrab(mapping->host);
			rcu_read_unlock();
			if (inode) {
				cur = mapping;
				start = READ_ONCE(page->index);
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
	/* killed by the disk release, unless the probe failed before it */
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
struct workqueue_struct *daxgup_wq;

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
		page = pfn_to_page(map->park_pfn);
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

/*
 * rmmod with the device still bound: the module cannot be pinned, so it
 * cannot park.  A mounted disk holds the module, and so do pages still in
 * use after its last close (hold.c): rmmod is refused while a page is in
 * use, and this is not expected to find one.  Should it, wait for the
 * pins, killably; interrupted, the pagemap is left as it is until reboot:
 * its dead pagemap keeps the memory_failure handler from being called.
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

/*
 * devres action registered right after memremap_pages(), so it runs
 * before anything probe set up earlier is undone and after the disk
 * release (registered later) has killed DAX and told the filesystem.
 * New pins fail from here on; memory still in use is parked, the removal
 * does not wait for it.
 */
static void daxgup_fsdax_unmap(void *data)
{
	struct daxgup_pagemap *map = data;
	unsigned long pinned, tied;

	/* killed by the disk release; ours to put now (daxgup_dax_release()) */
	map->pmem->dax_dev = NULL;

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

/**
 * daxgup_fsdax_map() - map an fsdax device's namespace with struct pages
 * @pmem: the device, its dax_device already allocated
 * @nd_pfn: the pfn device, or NULL for a namespace of a legacy region
 *	(memmap=, e820) that is all data, its memmap in RAM
 *
 * Not devm_memremap_pages(): its release unmaps at once, under pages in
 * use.  memremap_pages() plus our own devres action lets the removal park
 * those instead (daxgup_fsdax_unmap()).
 *
 * Return: 0 or a negative errno.
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

	rc = devm_add_action_or_reset(dev, daxgup_fsdax_unmap, map);
	if (rc)
		return rc;

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
