// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_badrange: a test helper that marks (or unmarks) a range of a pmem
 * namespace as a media error, the way a platform's address range scrub
 * would report it.  QEMU's NFIT has no error injection, and the bad
 * blocks a block device's sysfs "badblocks" takes are the disk's own, not
 * the namespace's that libnvdimm reads info blocks through.
 *
 * It is an nd driver that never binds: binding a namespace to it records
 * the range in the bus's bad range list, which every later enable of the
 * namespace reads (nsio_rw_bytes() then fails with -EIO), and in the
 * region's bad blocks (libnvdimm's memmap clearing reads those).
 *
 *	cd /sys/module/daxgup_badrange/parameters
 *	echo namespace1.0 > target; echo add > action; echo 4096 > offset
 *	echo namespace1.0 > /sys/bus/nd/drivers/daxgup_badrange/bind
 *
 * The bind fails (ENODEV) by design; "forget" as the action removes the
 * range again.  The driver core offers the helper every unbound device of
 * a region when it registers, and later ones: it only acts on the one
 * named by target.  For the daxgup selftests only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/badblocks.h>
#include <linux/device.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nd.h>
#include <linux/string.h>

#include "nd-core.h"
#include "nd.h"

static char target[32];
module_param_string(target, target, sizeof(target), 0644);
MODULE_PARM_DESC(target, "the namespace device to act on (namespaceX.Y)");

static char action[8] = "add";
module_param_string(action, action, sizeof(action), 0644);
MODULE_PARM_DESC(action, "add or forget the range at the next bind");

static unsigned long offset = 4096;
module_param(offset, ulong, 0644);
MODULE_PARM_DESC(offset, "byte offset of the range into the namespace (512-byte aligned)");

static unsigned int len = 512;
module_param(len, uint, 0644);
MODULE_PARM_DESC(len, "bytes in the range (a multiple of 512)");

static int daxgup_badrange_probe(struct device *dev)
{
	struct nd_namespace_io *nsio = to_nd_namespace_io(dev);
	struct nd_region *nd_region = to_nd_region(dev->parent);
	struct nvdimm_bus *nvdimm_bus = to_nvdimm_bus(nd_region->dev.parent);
	phys_addr_t phys = nsio->res.start + offset;
	sector_t sector = (phys - nd_region->ndr_start) >> SECTOR_SHIFT;
	int rc;

	if (!sysfs_streq(dev_name(dev), target))
		return -ENODEV;
	if (!IS_ALIGNED(offset | len, 512) || !len ||
	    offset + len > resource_size(&nsio->res)) {
		dev_err(dev, "range %#lx+%#x is not 512-byte aligned inside the namespace\n",
			offset, len);
		return -EINVAL;
	}

	if (sysfs_streq(action, "add")) {
		rc = nvdimm_bus_add_badrange(nvdimm_bus, phys, len);
		if (rc)
			return rc;
		badblocks_set(&nd_region->bb, sector, len >> SECTOR_SHIFT, 1);
	} else if (sysfs_streq(action, "forget")) {
		badrange_forget(&nvdimm_bus->badrange, phys, len);
		badblocks_clear(&nd_region->bb, sector, len >> SECTOR_SHIFT);
	} else {
		dev_err(dev, "action '%s': expected add or forget\n", action);
		return -EINVAL;
	}
	dev_info(dev, "%s media error at %pa (+%#lx), %u bytes\n",
		 sysfs_streq(action, "add") ? "added" : "forgot", &phys, offset,
		 len);
	/* never bind: the namespace stays free for its own driver */
	return -ENODEV;
}

static struct nd_device_driver daxgup_badrange_driver = {
	.probe = daxgup_badrange_probe,
	.drv = {
		.name = "daxgup_badrange",
	},
	.type = ND_DRIVER_NAMESPACE_IO | ND_DRIVER_NAMESPACE_PMEM,
};

static int __init daxgup_badrange_init(void)
{
	return nd_driver_register(&daxgup_badrange_driver);
}
module_init(daxgup_badrange_init);

static void __exit daxgup_badrange_exit(void)
{
	nd_driver_unregister(&daxgup_badrange_driver);
}
module_exit(daxgup_badrange_exit);

MODULE_DESCRIPTION("daxgup selftest helper: mark a pmem namespace range as a media error");
MODULE_LICENSE("GPL");
