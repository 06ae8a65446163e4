/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daxgup_pmem: the driver's own per-device state, shared by its files, and
 * what each file offers the others.  Calls go one way: pmem.c calls into
 * pagemap.c and infoblock.c, pagemap.c into infoblock.c.
 *
 * libnvdimm's private structures (struct nd_pfn, struct nd_region, ...)
 * are never copied here: they come from drivers/nvdimm/nd.h of the
 * matching kernel source tree (see Kbuild).
 */
#ifndef __DAXGUP_PMEM_H__
#define __DAXGUP_PMEM_H__

#include <linux/badblocks.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct dax_device;
struct daxgup_pagemap;
struct device;
struct dev_pagemap;
struct device_driver;
struct gendisk;
struct kernfs_node;
struct nd_namespace_common;
struct nd_pfn;
struct nd_region;
struct page;

/**
 * struct daxgup_hold - pages in use after the last close hold the module
 * @lock: serializes the walk with the last close that starts it and with
 *	the removal that stops it
 * @work: walks the data pages, drops the module reference at the end
 * @wait: on the wait queue of @page's refcount
 * @page: the page the walk waits for, or NULL
 * @pfn: the walk's cursor
 * @held: a module reference is held for the walk
 * @stopped: the device is being removed: no new hold
 * @mapped: a page was mapped (a DAX fault) since the last close
 */
struct daxgup_hold {
	struct mutex lock;	/* walk vs last close vs removal */
	struct work_struct work;
	struct wait_queue_entry wait;
	struct page *page;
	unsigned long pfn;
	bool held;
	bool stopped;
	bool mapped;
};

/**
 * struct daxgup_pmem - one namespace or pfn device served by daxgup_pmem
 * @dev: the device we are bound to (raw namespace or pfn device)
 * @ndns: the namespace that holds the data
 * @region: the region of @ndns, for flush and badblocks
 * @phys_addr: physical start of the namespace
 * @size: size of the namespace
 * @data_offset: bytes before sector 0: info block and, with -M dev, memmap
 * @end_pad: bytes at the end of the namespace the pagemap does not cover
 * @virt_addr: kernel address of @phys_addr
 * @has_pages: the data has struct pages in the direct map (fsdax)
 * @bb: media errors of the data area, sector 0 = first data sector
 * @bb_state: sysfs "badblocks" of the disk, to notify pollers
 * @dax_dev: the dax_device of an fsdax device, NULL in raw mode
 * @disk: the block device
 * @hold: the module hold of an fsdax device (pagemap.c)
 * @pagemap: the struct pages of an fsdax device until its removal
 *	(daxgup_fsdax_map(), daxgup_fsdax_unmap())
 * @removal_ref: the removal holds a module reference (daxgup_teardown())
 *
 * Allocated with devm_kzalloc() first in probe, so devres frees it after
 * daxgup_teardown(), registered later, has run.
 */
struct daxgup_pmem {
	struct device *dev;
	struct nd_namespace_common *ndns;
	struct nd_region *region;
	phys_addr_t phys_addr;
	resource_size_t size;
	resource_size_t data_offset;
	resource_size_t end_pad;
	void *virt_addr;
	bool has_pages;
	struct badblocks bb;
	struct kernfs_node *bb_state;
	struct dax_device *dax_dev;
	struct gendisk *disk;
	struct daxgup_hold hold;
	struct daxgup_pagemap *pagemap;
	bool removal_ref;
};

/* bytes the block device and the dax_device expose */
static inline resource_size_t daxgup_data_len(const struct daxgup_pmem *pmem)
{
	return pmem->size - pmem->data_offset - pmem->end_pad;
}

/* pagemap.c */
int daxgup_fsdax_map(struct daxgup_pmem *pmem, struct nd_pfn *nd_pfn);
/* Takes over pmem->dax_dev (cleared): the pagemap puts it at its release. */
void daxgup_fsdax_unmap(struct daxgup_pmem *pmem);
int daxgup_fsdax_check_parked(struct device *dev, phys_addr_t start,
			      resource_size_t size);
ssize_t daxgup_parked_show(struct device_driver *drv, char *buf);
void daxgup_hold_init(struct daxgup_pmem *pmem);
void daxgup_hold_disk_release(struct gendisk *disk);
void daxgup_hold_stop(struct daxgup_pmem *pmem);
void daxgup_hold_forget_disk(struct daxgup_pmem *pmem);
int daxgup_fsdax_init(void);
void daxgup_fsdax_exit(void);

/* infoblock.c */
int daxgup_info_check_raw(struct device *dev, struct nd_namespace_common *ndns);
int daxgup_info_judge(struct device *dev, struct nd_pfn *nd_pfn);
int daxgup_info_check_setup(struct daxgup_pmem *pmem, struct nd_pfn *nd_pfn,
			    const struct dev_pagemap *pgmap);
void daxgup_refused(struct device *dev, struct nd_namespace_common *ndns);

#endif /* __DAXGUP_PMEM_H__ */
