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
 * Teardown order (see fsdax.c): the disk release stops new DAX access and
 * tells the filesystem, then the pagemap release makes new pins fail and
 * unmaps the pages, or parks them while they are still in use (pinned, or
 * tied to a file) and unmaps them once they are let go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/nd.h>
#include <linux/sizes.h>

#include "nd.h"
#include "pfn.h"
#include "btt.h"
#include "daxgup_pmem.h"

/**
 * daxgup_attach() - bring up the block device (and DAX) of a device
 * @dev: raw namespace or pfn device being probed
 * @ndns: namespace that holds the data
 * @nd_pfn: the pfn device for fsdax, NULL for a raw namespace
 *
 * Everything is devm-managed, in an order chosen for teardown (devres
 * runs the actions last-registered first): dax_device, then the pagemap,
 * then the disk.  Removal thus kills DAX and the disk first, then unmaps
 * the pages or parks those still in use.
 *
 * Return: 0 or a negative errno; devres unwinds a partial attach.
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
	if (rc)
		return rc;

	return daxgup_blk_add_disk(pmem);
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
 * The ordered teardown (kill DAX, delete the disk, wait for pins, unmap)
 * is done by the devres actions of probe, which run right after this.
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
