// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem fsdax: the pfn device's info block, the MEMORY_DEVICE_FS_DAX
 * pagemap that gives the data struct pages (memmap in RAM with -M mem, in
 * the namespace itself through a vmem_altmap with -M dev), and its
 * removal, which waits until no page is pinned before unmapping.
 */
#include <linux/dax.h>
#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/log2.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nd.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "nd.h"
#include "pfn.h"
#include "daxgup_pmem.h"

/**
 * struct daxgup_pagemap - the ZONE_DEVICE mapping of an fsdax device
 * @pgmap: the pagemap; must stay valid as long as one of its pages is
 *	referenced, which is why it is not devm memory
 * @pmem: the device, only while it is bound
 * @dax_dev: for the memory_failure handler, which may outlive @pmem
 * @data_start: physical start of the data area
 * @data_end: physical end (exclusive) of the data area
 * @busy: our claim on the namespace's physical range in iomem
 * @name: name of @busy, which must not point into a device that can go
 * @parked: on daxgup_parked, waiting for the filesystem to let go
 */
struct daxgup_pagemap {
	struct dev_pagemap pgmap;
	struct list_head parked;
	struct daxgup_pmem *pmem;
	struct dax_device *dax_dev;
	phys_addr_t data_start;
	phys_addr_t data_end;
	struct resource *busy;
	char name[32];
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
 * daxgup_fsdax_check_layout() - reject layouts DAX cannot use safely
 * @pmem: the device
 * @nd_pfn: the pfn device, info block validated by libnvdimm
 * @pgmap: the pagemap libnvdimm derived from it
 *
 * nd_pfn_validate() has checked signature, checksum, parent, mode,
 * alignment and offsets.  It does not look at the major version, nor at
 * the page count, nor whether the memmap fits where the block puts it: a
 * block from a future format, or one damaged but checksummed again, would
 * be trusted.  This re-checks what the driver relies on, and refuses the
 * legacy start_pad layout, whose data offset is ambiguous for DAX (see
 * struct nd_pfn_sb).
 *
 * Return: 0 or -EOPNOTSUPP after a dev_err naming the reason.
 */
static int daxgup_fsdax_check_layout(struct daxgup_pmem *pmem,
				     struct nd_pfn *nd_pfn,
				     const struct dev_pagemap *pgmap)
{
	struct nd_pfn_sb *sb = nd_pfn->pfn_sb;
	u64 dataoff = le64_to_cpu(sb->dataoff);
	u32 start_pad = le32_to_cpu(sb->start_pad);
	u32 end_trunc = le32_to_cpu(sb->end_trunc);
	u16 major = le16_to_cpu(sb->version_major);
	u64 npfns = le64_to_cpu(sb->npfns);
	u64 mapped = range_len(&pgmap->range);
	u64 room, memmap;
	struct device *dev = pmem->dev;

	if (major != 1) {
		dev_err(dev, "info block version %u.%u: major version %u is unknown\n",
			major, le16_to_cpu(sb->version_minor), major);
		return -EOPNOTSUPP;
	}
	if (start_pad) {
		dev_err(dev, "legacy info block with start_pad %#x: not supported, recreate the namespace\n",
			start_pad);
		return -EOPNOTSUPP;
	}
	if (pgmap->range.start != pmem->phys_addr ||
	    mapped + end_trunc != pmem->size) {
		dev_err(dev, "pagemap %#llx-%#llx does not match namespace %pa+%pa\n",
			pgmap->range.start, pgmap->range.end,
			&pmem->phys_addr, &pmem->size);
		return -EOPNOTSUPP;
	}
	if (!PAGE_ALIGNED(dataoff) || dataoff < nd_info_block_reserve() ||
	    dataoff >= mapped) {
		dev_err(dev, "data offset %#llx outside the mapped %#llx bytes\n",
			dataoff, mapped);
		return -EOPNOTSUPP;
	}
	room = PHYS_PFN(mapped - dataoff);
	if (npfns > room) {
		dev_err(dev, "info block counts %llu data pages, the namespace holds %llu\n",
			npfns, room);
		return -EOPNOTSUPP;
	}
	/*
	 * The memmap comes out of the space between the info block and the
	 * data.  nd_pfn_init() sizes it for every page after the info block;
	 * less than that cannot hold it.
	 */
	memmap = (u64)PHYS_PFN(mapped - nd_info_block_reserve()) * sizeof(struct page);
	if (nd_pfn->mode == PFN_MODE_PMEM &&
	    dataoff - nd_info_block_reserve() < memmap) {
		dev_err(dev, "memmap of %llu bytes does not fit in the %llu bytes reserved before the data\n",
			memmap, dataoff - nd_info_block_reserve());
		return -EOPNOTSUPP;
	}
	if (!nd_pfn->align || !is_power_of_2(nd_pfn->align) ||
	    !IS_ALIGNED(pmem->phys_addr + dataoff, nd_pfn->align)) {
		dev_err(dev, "data start %#llx not aligned to %#lx\n",
			pmem->phys_addr + dataoff, nd_pfn->align);
		return -EOPNOTSUPP;
	}
	if (nd_pfn->mode == PFN_MODE_PMEM &&
	    !(pgmap->flags & PGMAP_ALTMAP_VALID)) {
		dev_err(dev, "memmap in pmem requested but no altmap set up\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/**
 * daxgup_fsdax_read_info_block() - validate the info block, set up @pgmap
 * @pmem: the device
 * @nd_pfn: the pfn device being probed
 * @pgmap: filled in by libnvdimm: range and, with -M dev, the altmap
 *
 * nvdimm_setup_pfn() validates an existing info block, or writes a new
 * one for a freshly configured pfn device (ndctl create-namespace).
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

	rc = nvdimm_setup_pfn(nd_pfn, pgmap);
	/* from here on the namespace is ours: no more raw access */
	devm_namespace_disable(dev, pmem->ndns);
	if (rc) {
		dev_err(dev, "%s: %d\n", daxgup_pfn_setup_reason(rc), rc);
		return rc;
	}

	rc = daxgup_fsdax_check_layout(pmem, nd_pfn, pgmap);
	if (rc)
		return rc;

	pmem->data_offset = le64_to_cpu(nd_pfn->pfn_sb->dataoff);
	pmem->end_pad = le32_to_cpu(nd_pfn->pfn_sb->end_trunc);
	return 0;
}

/*
 * A page is still pinned and the waiting task got a fatal signal: keep
 * everything a pinned page, its final put or a memory failure can reach.
 * The pagemap stays in place with its memmap, our iomem claim keeps the
 * range from being mapped again by anyone, the dax_device is not put,
 * and the module is pinned so that the memory_failure handler stays.
 * When the module is already going (rmmod), it cannot be pinned: drop the
 * handler, the generic one takes over.
 */
static void daxgup_fsdax_leak(struct daxgup_pagemap *map,
			      unsigned long pinned)
{
	struct daxgup_pmem *pmem = map->pmem;
	bool pinned_module = try_module_get(THIS_MODULE);

	if (!pinned_module)
		WRITE_ONCE(map->pgmap.ops, NULL);
	pmem->leaked = true;
	map->pmem = NULL;

	dev_crit(pmem->dev, "interrupted while %lu pages are pinned: leaking %pa-%pa and its memmap until reboot%s\n",
		 pinned, &map->data_start, &map->data_end,
		 pinned_module ? ", module pinned" : "");
}

static void daxgup_fsdax_release(struct daxgup_pagemap *map)
{
	memunmap_pages(&map->pgmap);
	release_mem_region(map->busy->start, resource_size(map->busy));
	kfree(map);
}

/*
 * Parked pagemaps.  fs/dax.c ties a page to the file that maps it
 * (page->mapping) for as long as the file's page cache holds a DAX entry
 * for it, and touches the page again when it drops the entry: on truncate,
 * on eviction, at the latest on unmount.  A filesystem whose device dies
 * stays mounted with those entries until then, unless the kernel drops them
 * when the device dies (the daxgup series does; 6.12 does not).  Unmapping
 * the memmap under them would make that unmount crash, so a pagemap with
 * pages still tied to files is parked instead: it stays mapped, with our
 * claim on the range, and a worker releases it once no page is tied to a
 * file or referenced any more.  The module stays pinned meanwhile.
 */
static LIST_HEAD(daxgup_parked);
static DEFINE_MUTEX(daxgup_parked_lock);
static void daxgup_parked_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(daxgup_parked_work, daxgup_parked_work_fn);

#define DAXGUP_PARKED_POLL	(HZ / 2)

static bool daxgup_fsdax_in_use(struct daxgup_pagemap *map)
{
	unsigned long pfn, end = PHYS_PFN(map->data_end);
	struct page *page;

	for (pfn = PHYS_PFN(map->data_start); pfn < end; pfn++) {
		page = pfn_to_page(pfn);
		if (READ_ONCE(page->mapping) || page_ref_count(page) > 1)
			return true;
		if (!(pfn % 4096))
			cond_resched();
	}
	return false;
}

/* Release the parked pagemaps nobody uses any more; true if none is left. */
static bool daxgup_parked_reap(void)
{
	struct daxgup_pagemap *map, *next;
	bool empty;

	mutex_lock(&daxgup_parked_lock);
	list_for_each_entry_safe(map, next, &daxgup_parked, parked) {
		if (daxgup_fsdax_in_use(map))
			continue;
		list_del(&map->parked);
		pr_info("%s: released %pa-%pa, its filesystem let go\n",
			map->name, &map->data_start, &map->data_end);
		daxgup_fsdax_release(map);
		module_put(THIS_MODULE);
	}
	empty = list_empty(&daxgup_parked);
	mutex_unlock(&daxgup_parked_lock);
	return empty;
}

static void daxgup_parked_work_fn(struct work_struct *work)
{
	if (!daxgup_parked_reap())
		schedule_delayed_work(&daxgup_parked_work, DAXGUP_PARKED_POLL);
}

/* Park @map; false if the module is going away and cannot be pinned. */
static bool daxgup_fsdax_park(struct daxgup_pagemap *map)
{
	if (!try_module_get(THIS_MODULE))
		return false;
	/* The dax_device goes with the disk: fail memory errors generically. */
	WRITE_ONCE(map->pgmap.ops, NULL);
	dev_warn(map->pmem->dev, "pages still belong to files of a mounted filesystem: keeping %pa-%pa mapped until it lets go (unmount it)\n",
		 &map->data_start, &map->data_end);
	map->pmem = NULL;
	mutex_lock(&daxgup_parked_lock);
	list_add_tail(&map->parked, &daxgup_parked);
	mutex_unlock(&daxgup_parked_lock);
	schedule_delayed_work(&daxgup_parked_work, DAXGUP_PARKED_POLL);
	return true;
}

/**
 * daxgup_fsdax_reap() - release the parked pagemaps nobody uses any more
 *
 * Called before a probe: the namespace that comes back may be the one
 * whose pagemap is parked, and its range must be free again.
 */
void daxgup_fsdax_reap(void)
{
	daxgup_parked_reap();
}

/**
 * daxgup_fsdax_exit() - wait for the parked pagemaps at module unload
 *
 * Only reached once every parked pagemap was released (each pins the
 * module), so this only waits for a worker that is still returning.
 */
void daxgup_fsdax_exit(void)
{
	cancel_delayed_work_sync(&daxgup_parked_work);
}

/*
 * devres action registered right after memremap_pages(), so it runs
 * before anything probe set up earlier is undone and after the disk
 * release (registered later) has stopped DAX and shut the filesystem
 * down.  memunmap_pages() itself drops the pages' references in bulk and
 * only waits for transient pagemap references: an O_DIRECT read still in
 * flight into a DAX page would then write through a vanished direct map.
 * Hence wait for the pins first, then for the filesystem to let go.
 */
static void daxgup_fsdax_unmap(void *data)
{
	struct daxgup_pagemap *map = data;
	unsigned long pinned;

	pinned = daxgup_wait_unpinned(map->pmem->dev,
				      PHYS_PFN(map->data_start),
				      PHYS_PFN(map->data_end));
	if (pinned) {
		daxgup_fsdax_leak(map, pinned);
		return;
	}
	if (daxgup_fsdax_in_use(map) && daxgup_fsdax_park(map))
		return;

	daxgup_fsdax_release(map);
}

/**
 * daxgup_fsdax_map() - map an fsdax device's namespace with struct pages
 * @pmem: the device, its dax_device already allocated
 * @nd_pfn: the pfn device
 *
 * Not devm_memremap_pages(): its release cannot be cancelled, so a pin
 * that outlives the wait could only be survived by blocking in
 * memunmap_pages() forever.  memremap_pages() plus our own devres action
 * gives the same order (wait, then unmap) and a way to leak instead.
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

	rc = daxgup_fsdax_read_info_block(pmem, nd_pfn, &map->pgmap);
	if (rc)
		goto err_free;

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
			nd_pfn->mode == PFN_MODE_PMEM ? "pmem" : "RAM", rc);
		goto err_release;
	}
	pmem->virt_addr = addr;
	pmem->has_pages = true;

	rc = devm_add_action_or_reset(dev, daxgup_fsdax_unmap, map);
	if (rc)
		return rc;

	dev_dbg(dev, "data %pa-%pa, memmap in %s, align %#lx\n",
		&map->data_start, &map->data_end,
		nd_pfn->mode == PFN_MODE_PMEM ? "pmem" : "RAM", nd_pfn->align);
	return 0;

err_release:
	release_mem_region(pmem->phys_addr, pmem->size);
err_free:
	kfree(map);
	return rc;
}
