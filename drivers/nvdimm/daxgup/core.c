// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem: a pmem driver whose teardown waits for pinned DAX pages.
 *
 * The module registers an nd_device_driver for the same device types as
 * nd_pmem: raw namespaces (served as a block device without DAX) and pfn
 * devices, i.e. fsdax namespaces (block device + dax_device + struct
 * pages).  BTT devices are refused, nd_pmem serves them.
 *
 * Binding: libnvdimm has no driver_override, so when both nd_pmem and
 * daxgup_pmem are loaded, whichever driver registered first wins every
 * device added later.  Move one device between the drivers by hand, e.g.
 * an fsdax namespace:
 *
 *	echo pfn0.0 > /sys/bus/nd/drivers/nd_pmem/unbind
 *	echo pfn0.0 > /sys/bus/nd/drivers/daxgup_pmem/bind
 *
 * and a raw namespace with its namespace device (namespace0.0), so that
 * both drivers serve different namespaces in one boot.
 *
 * Teardown order (see fsdax.c): the disk release stops new DAX access and
 * tells the filesystem, then the pagemap release makes new pins fail and
 * unmaps the pages, or parks them while they are still in use (pinned, or
 * tied to a file) and unmaps them once they are let go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kstrtox.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nd.h>
#include <linux/sizes.h>

#include "nd.h"
#include "pfn.h"
#include "daxgup_pmem.h"

#define PIN_WAIT_REPORT_MIN	1
#define PIN_WAIT_REPORT_MAX	3600

static unsigned int pin_wait_report_secs = 10;

/*
 * Reject out-of-range values at load time (the module then fails to load)
 * and on writes to /sys/module/daxgup_pmem/parameters/, rather than
 * clamping them silently.
 */
static int pin_wait_report_secs_set(const char *val,
				    const struct kernel_param *kp)
{
	unsigned int secs;
	int rc;

	rc = kstrtouint(val, 0, &secs);
	if (rc) {
		pr_err("pin_wait_report_secs: '%s' is not a number of seconds\n",
		       val);
		return rc;
	}
	if (secs < PIN_WAIT_REPORT_MIN || secs > PIN_WAIT_REPORT_MAX) {
		pr_err("pin_wait_report_secs=%u is out of range %u..%u\n",
		       secs, PIN_WAIT_REPORT_MIN, PIN_WAIT_REPORT_MAX);
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, secs);
	return 0;
}

static const struct kernel_param_ops pin_wait_report_secs_ops = {
	.set = pin_wait_report_secs_set,
	.get = param_get_uint,
};

module_param_cb(pin_wait_report_secs, &pin_wait_report_secs_ops,
		&pin_wait_report_secs, 0644);
MODULE_PARM_DESC(pin_wait_report_secs,
		 "Seconds between log lines while unbind waits for pinned DAX pages (1..3600, default 10)");

unsigned int daxgup_pin_wait_report_secs(void)
{
	return READ_ONCE(pin_wait_report_secs);
}

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

	if (nd_pfn) {
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

/*
 * libnvdimm treats an info block that fails validation (bad checksum,
 * version or layout) like no info block at all, and nd_pmem then serves
 * the namespace raw: the old layout, info block and in-pmem memmap
 * included, is exposed for anyone to mkfs over.  Refuse instead when the
 * signature says an info block is there, unless the user forced raw mode.
 */
static int daxgup_check_no_info_block(struct device *dev,
				      struct nd_namespace_common *ndns)
{
	static const char * const sigs[] = { PFN_SIG, DAX_SIG };
	u8 sig[PFN_SIG_LEN];
	int i;

	if (ndns->force_raw)
		return 0;
	if (nvdimm_read_bytes(ndns, SZ_4K, sig, sizeof(sig), 0))
		return 0;
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (memcmp(sig, sigs[i], PFN_SIG_LEN))
			continue;
		dev_err(dev, "%s info block at offset 4096 fails validation (checksum, version or layout): not serving the namespace raw; restore the block, or reconfigure the namespace with ndctl (set force_raw to read it raw)\n",
			i ? "devdax" : "fsdax");
		return -EINVAL;
	}
	return 0;
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
 * block is there but invalid is refused (daxgup_check_no_info_block()).
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
		dev_info(dev, "BTT info block found, handed to a btt device (served by nd_pmem)\n");
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
		return rc;
	}

	rc = nd_dax_probe(dev, ndns);
	if (rc == 0) {
		dev_dbg(dev, "devdax info block found, handed to a dax device\n");
		return -ENXIO;
	}
	if (rc == -EOPNOTSUPP) {
		dev_err(dev, "devdax info block rejected: not serving the namespace\n");
		return rc;
	}

	rc = daxgup_check_no_info_block(dev, ndns);
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
	 * Not -EOPNOTSUPP: libnvdimm takes that as "claimed" and creates a
	 * new seed device, which would be probed and refused again.
	 */
	if (is_nd_btt(dev)) {
		dev_err(dev, "BTT (sector mode) is not supported by %s, bind it to nd_pmem\n",
			KBUILD_MODNAME);
		return -ENXIO;
	}

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
	struct daxgup_pmem *pmem = dev_get_drvdata(dev);

	nvdimm_flush(pmem->region, NULL);
}

static void daxgup_shutdown(struct device *dev)
{
	nvdimm_flush(to_nd_region(dev->parent), NULL);
}

/* called under device_lock() with a driver bound, so @pmem is valid */
static void daxgup_notify(struct device *dev, enum nvdimm_event event)
{
	struct daxgup_pmem *pmem = dev_get_drvdata(dev);

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
	if (rc)
		daxgup_fsdax_exit();
	return rc;
}
module_init(daxgup_init);

static void __exit daxgup_exit(void)
{
	/* unbinds every device; see daxgup_fsdax_unmap_going() */
	nd_driver_unregister(&daxgup_driver);
	daxgup_fsdax_exit();
}
module_exit(daxgup_exit);

/*
 * Same aliases as nd_pmem, so udev may autoload it; the daxgup lab loads
 * it explicitly instead (modprobe/insmod) and binds devices by hand.
 */
MODULE_ALIAS_ND_DEVICE(ND_DEVICE_NAMESPACE_IO);
MODULE_ALIAS_ND_DEVICE(ND_DEVICE_NAMESPACE_PMEM);
MODULE_DESCRIPTION("Persistent memory driver that keeps pinned DAX pages safe across removal");
MODULE_AUTHOR("daxgup developers <daxgup@lists.invalid>");
MODULE_LICENSE("GPL");
