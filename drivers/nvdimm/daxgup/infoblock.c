// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem info block: the fsdax info block at 4 KiB into a namespace,
 * judged on a copy before anything is written to the namespace.
 *
 * libnvdimm writes to a namespace while it sets a pfn device up:
 * nvdimm_setup_pfn() zeroes the bad sectors between the info block and
 * the data offset the block names (the in-pmem memmap), and writes a new
 * info block whenever the one there fails nd_pfn_validate() with -ENODEV:
 * a bad checksum, a foreign uuid or parent uuid.  For a block that is
 * damaged, rather than absent, both writes act on untrusted values.  So
 * the block is read here first, into a buffer of its own, and every field
 * is checked against what this kernel and driver can honour; only a block
 * that passes, or a namespace holding no info block of any kind (a new
 * one is then written, as ndctl create-namespace expects), reaches
 * libnvdimm.  A refused namespace is left exactly as it was.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/badblocks.h>
#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/nd.h>
#include <linux/pgtable.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uuid.h>

#include "nd.h"
#include "pfn.h"
#include "btt.h"
#include "daxgup_pmem.h"

/* the newest info block format this kernel knows: 1.4 (page sizes) */
#define DAXGUP_PFN_MAJOR	1
#define DAXGUP_PFN_MINOR	4

/**
 * daxgup_refused() - say that a namespace is left unserved, and for how long
 * @dev: the device whose probe refuses
 * @ndns: its namespace
 *
 * The driver core offers a device whose probe failed to the next driver
 * that matches it: with nd_pmem loaded, a namespace refused here would be
 * served by nd_pmem (raw, or on the very info block refused here).  The
 * modprobe configuration daxgup.conf keeps nd_pmem from loading; say
 * whether it is loaded anyway.
 */
void daxgup_refused(struct device *dev, struct nd_namespace_common *ndns)
{
	if (driver_find("nd_pmem", dev->bus))
		dev_err(dev, "%s refused, nothing written to it; nd_pmem is loaded and may serve it instead (see daxgup.conf in /etc/modprobe.d)\n",
			dev_name(&ndns->dev));
	else
		dev_err(dev, "%s refused, nothing written to it: no driver serves it until the info block is restored or the namespace is reconfigured (ndctl create-namespace -f -e %s)\n",
			dev_name(&ndns->dev), dev_name(&ndns->dev));
}

static const char *daxgup_info_kind(const u8 *sig)
{
	if (!memcmp(sig, PFN_SIG, PFN_SIG_LEN))
		return "fsdax";
	if (!memcmp(sig, DAX_SIG, PFN_SIG_LEN))
		return "devdax";
	if (!memcmp(sig, BTT_SIG, BTT_SIG_LEN))
		return "BTT";
	return NULL;
}

/*
 * Read the 4 KiB at offset 4 KiB of @ndns into @sb.  The namespace must be
 * enabled for nsio_rw_bytes() over at least nd_info_block_reserve() bytes.
 */
static int daxgup_info_read(struct device *dev,
			    struct nd_namespace_common *ndns,
			    struct nd_pfn_sb *sb)
{
	int rc;

	rc = nvdimm_read_bytes(ndns, SZ_4K, sb, sizeof(*sb), 0);
	if (rc)
		dev_err(dev, "info block of %s unreadable at offset 4096 (media error?): %d\n",
			dev_name(&ndns->dev), rc);
	return rc;
}

/**
 * daxgup_info_check_raw() - refuse to serve raw a namespace with an info block
 * @dev: the namespace device being probed
 * @ndns: its namespace, enabled for nsio_rw_bytes()
 *
 * Called once libnvdimm found no valid BTT, fsdax or devdax info block.
 * One whose signature is there failed validation (bad checksum, version
 * or layout); serving the namespace raw would expose its old layout, info
 * block and in-pmem memmap included, for anyone to mkfs over.  An area
 * that cannot be read may hold one too.  Setting the namespace's
 * force_raw reads it raw on purpose.
 *
 * Return: 0 when the namespace may be served raw, -EIO or -EINVAL after
 * a dev_err naming the reason.
 */
int daxgup_info_check_raw(struct device *dev, struct nd_namespace_common *ndns)
{
	struct nd_pfn_sb *sb;
	const char *kind;
	int rc;

	if (ndns->force_raw)
		return 0;

	sb = kmalloc(sizeof(*sb), GFP_KERNEL);
	if (!sb)
		return -ENOMEM;

	rc = daxgup_info_read(dev, ndns, sb);
	if (rc) {
		rc = -EIO;
		goto out;
	}
	kind = daxgup_info_kind(sb->signature);
	if (kind) {
		dev_err(dev, "%s info block at offset 4096 fails validation (checksum, uuid, version or layout): not serving the namespace raw (set force_raw to read it raw)\n",
			kind);
		rc = -EINVAL;
	}
out:
	kfree(sb);
	if (rc)
		daxgup_refused(dev, ndns);
	return rc;
}

static bool daxgup_info_align_supported(unsigned long align)
{
	if (align == PAGE_SIZE)
		return true;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (!has_transparent_hugepage())
		return false;
	if (align == HPAGE_PMD_SIZE)
		return true;
#ifdef CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
	if (align == HPAGE_PUD_SIZE && has_transparent_pud_hugepage())
		return true;
#endif
#endif
	return false;
}

/*
 * The fields of @sb as libnvdimm reads them: a field that a block's minor
 * version predates has its default (see nd_pfn_validate()).
 */
struct daxgup_info_layout {
	u16 minor;
	u32 mode;
	u64 dataoff;
	u64 npfns;
	u32 start_pad;
	u32 end_trunc;
	unsigned long align;
	u32 page_size;
	u16 page_struct_size;
};

static void daxgup_info_layout(const struct nd_pfn_sb *sb,
			       struct daxgup_info_layout *l)
{
	*l = (struct daxgup_info_layout) {
		.minor = le16_to_cpu(sb->version_minor),
		.mode = le32_to_cpu(sb->mode),
		.dataoff = le64_to_cpu(sb->dataoff),
		.npfns = le64_to_cpu(sb->npfns),
		.page_size = PAGE_SIZE,
		.page_struct_size = MAX_STRUCT_PAGE_SIZE,
	};
	if (l->minor >= 1) {
		l->start_pad = le32_to_cpu(sb->start_pad);
		l->end_trunc = le32_to_cpu(sb->end_trunc);
	}
	if (l->minor >= 2)
		l->align = le32_to_cpu(sb->align);
	else if (l->dataoff)
		l->align = 1UL << ilog2(l->dataoff);
	if (l->minor >= 4) {
		l->page_size = le32_to_cpu(sb->page_size);
		l->page_struct_size = le16_to_cpu(sb->page_struct_size);
	}
}

/* signature, checksum, version, owner and reserved fields */
static int daxgup_info_judge_header(struct device *dev, struct nd_pfn *nd_pfn,
				    struct nd_pfn_sb *sb)
{
	struct nd_namespace_common *ndns = nd_pfn->ndns;
	const uuid_t *parent = nd_dev_to_uuid(&ndns->dev);
	u16 major = le16_to_cpu(sb->version_major);
	u16 minor = le16_to_cpu(sb->version_minor);
	u64 sum = le64_to_cpu(sb->checksum);
	const char *kind;
	size_t i;

	kind = daxgup_info_kind(sb->signature);
	if (!kind || strcmp(kind, "fsdax")) {
		dev_err(dev, "info block is %s, not fsdax\n", kind ?: "unknown");
		return -EINVAL;
	}
	if (sum != nd_sb_checksum((struct nd_gen_sb *)sb)) {
		dev_err(dev, "info block checksum %#llx does not match its content (%#llx): damaged\n",
			sum, nd_sb_checksum((struct nd_gen_sb *)sb));
		return -EINVAL;
	}
	if (major != DAXGUP_PFN_MAJOR) {
		dev_err(dev, "info block version %u.%u: major version %u is unknown\n",
			major, minor, major);
		return -EINVAL;
	}
	if (minor > DAXGUP_PFN_MINOR) {
		dev_err(dev, "info block version %u.%u is newer than %u.%u, the newest this kernel knows: it may hold fields this kernel would ignore\n",
			major, minor, DAXGUP_PFN_MAJOR, DAXGUP_PFN_MINOR);
		return -EINVAL;
	}
	if (memcmp(sb->parent_uuid, parent, sizeof(sb->parent_uuid))) {
		dev_err(dev, "info block belongs to namespace %pUb, not to %s (%pUb)\n",
			sb->parent_uuid, dev_name(&ndns->dev), parent);
		return -EINVAL;
	}
	if (nd_pfn->uuid && memcmp(sb->uuid, nd_pfn->uuid, sizeof(sb->uuid))) {
		dev_err(dev, "info block uuid %pUb is not %pUb, the uuid %s is configured with\n",
			sb->uuid, nd_pfn->uuid, dev_name(dev));
		return -EINVAL;
	}
	/* minor version 3 and later guarantee that these are zero */
	if (minor < 3)
		return 0;
	if (sb->flags) {
		dev_err(dev, "info block flags %#x: no flag is defined\n",
			le32_to_cpu(sb->flags));
		return -EINVAL;
	}
	for (i = 0; i < sizeof(sb->padding); i++) {
		if (!sb->padding[i])
			continue;
		dev_err(dev, "info block version %u.%u has reserved byte %zu set (%#x)\n",
			major, minor, offsetof(struct nd_pfn_sb, padding) + i,
			sb->padding[i]);
		return -EINVAL;
	}
	return 0;
}

/* mode, page sizes and alignment, against the pfn device and this kernel */
static int daxgup_info_judge_format(struct device *dev, struct nd_pfn *nd_pfn,
				    const struct daxgup_info_layout *l)
{
	if (l->mode != PFN_MODE_RAM && l->mode != PFN_MODE_PMEM) {
		dev_err(dev, "info block memmap mode %u is unknown\n", l->mode);
		return -EINVAL;
	}
	if (nd_pfn->uuid && l->mode != nd_pfn->mode) {
		dev_err(dev, "info block puts the memmap in %s, %s is configured for %s\n",
			l->mode == PFN_MODE_PMEM ? "pmem" : "RAM", dev_name(dev),
			nd_pfn->mode == PFN_MODE_PMEM ? "pmem" : "RAM");
		return -EINVAL;
	}
	if (l->page_size != PAGE_SIZE) {
		dev_err(dev, "info block page size %u, this kernel's is %lu\n",
			l->page_size, PAGE_SIZE);
		return -EINVAL;
	}
	/* only a memmap in pmem is laid out by the size of a struct page */
	if (l->mode == PFN_MODE_PMEM && l->page_struct_size < sizeof(struct page)) {
		dev_err(dev, "info block struct page size %u, this kernel's is %zu\n",
			l->page_struct_size, sizeof(struct page));
		return -EINVAL;
	}
	if (l->minor >= 2 && !daxgup_info_align_supported(l->align)) {
		dev_err(dev, "info block alignment %#lx is not one this kernel maps\n",
			l->align);
		return -EINVAL;
	}
	if (nd_pfn->uuid && l->align != nd_pfn->align) {
		dev_err(dev, "info block alignment %#lx, %s is configured with %#lx\n",
			l->align, dev_name(dev), nd_pfn->align);
		return -EINVAL;
	}
	return 0;
}

/* where the data, the memmap and the end of the mapping are */
static int daxgup_info_judge_layout(struct device *dev, struct nd_pfn *nd_pfn,
				    const struct daxgup_info_layout *l)
{
	struct nd_namespace_io *nsio = to_nd_namespace_io(&nd_pfn->ndns->dev);
	resource_size_t start = nsio->res.start;
	resource_size_t size = resource_size(&nsio->res);
	u64 reserve = nd_info_block_reserve();
	u64 mapped, room, memmap, need;
	unsigned long align;

	if (l->start_pad) {
		dev_err(dev, "legacy info block with start_pad %#x: not supported, recreate the namespace\n",
			l->start_pad);
		return -EINVAL;
	}
	if (!IS_ALIGNED(start, memremap_compat_align())) {
		dev_err(dev, "namespace start %pa is not %#lx aligned\n",
			&start, memremap_compat_align());
		return -EINVAL;
	}
	if (l->end_trunc >= size ||
	    !IS_ALIGNED(start + size - l->end_trunc, memremap_compat_align())) {
		dev_err(dev, "info block end_trunc %#x does not end the mapping on a %#lx boundary inside the namespace\n",
			l->end_trunc, memremap_compat_align());
		return -EINVAL;
	}
	mapped = size - l->end_trunc;
	if (l->dataoff < reserve || !PAGE_ALIGNED(l->dataoff) ||
	    l->dataoff >= mapped) {
		dev_err(dev, "info block data offset %#llx outside the %#llx mapped bytes after the info block\n",
			l->dataoff, mapped);
		return -EINVAL;
	}
	if (!l->align || !IS_ALIGNED(start + l->dataoff, l->align)) {
		dev_err(dev, "info block data start %#llx is not aligned to %#lx\n",
			(u64)start + l->dataoff, l->align);
		return -EINVAL;
	}
	room = PHYS_PFN(mapped - l->dataoff);
	if (l->npfns != room) {
		dev_err(dev, "info block counts %llu data pages, its data offset leaves %llu\n",
			l->npfns, room);
		return -EINVAL;
	}
	if (l->mode != PFN_MODE_PMEM)
		return 0;
	/*
	 * The memmap goes between the info block and the data, in the room
	 * nd_pfn_init() reserves for it: a struct page (at least
	 * MAX_STRUCT_PAGE_SIZE) for every page after the first 8 KiB, the
	 * data start aligned to at least memremap_compat_align().  The
	 * vmemmap is allocated from that room in aligned blocks, so less
	 * than that, even if it holds the struct pages, can make
	 * memremap_pages() fail (with a WARNING in add_pages()).
	 */
	memmap = (u64)PHYS_PFN(size - SZ_8K) *
		 max_t(size_t, MAX_STRUCT_PAGE_SIZE, sizeof(struct page));
	align = max_t(unsigned long, l->align, memremap_compat_align());
	need = ALIGN(start + SZ_8K + memmap, align) - start;
	if (l->dataoff < need) {
		dev_err(dev, "memmap of %llu bytes does not fit in the %llu bytes reserved before the data: a data offset of %#llx at least is needed\n",
			memmap, l->dataoff - reserve, need);
		return -EINVAL;
	}
	return 0;
}

static int daxgup_info_judge_sb(struct device *dev, struct nd_pfn *nd_pfn,
				struct nd_pfn_sb *sb)
{
	struct daxgup_info_layout l;
	int rc;

	rc = daxgup_info_judge_header(dev, nd_pfn, sb);
	if (rc)
		return rc;
	daxgup_info_layout(sb, &l);
	rc = daxgup_info_judge_format(dev, nd_pfn, &l);
	if (rc)
		return rc;
	return daxgup_info_judge_layout(dev, nd_pfn, &l);
}

/*
 * Media errors where the block puts the memmap (-M dev).  libnvdimm writes
 * zeroes over them as it sets the pfn device up (nd_pfn_clear_memmap_errors()),
 * and loops until the region lists none: but 6.12's nsio_rw_bytes() takes a
 * clear that failed for a success (a negative count compared with an
 * unsigned size), so on a platform that cannot clear them the probe never
 * returns.  Clear them here first, as that loop would, and refuse the
 * namespace when the platform cannot.  Sectors count from the region's
 * start, as libnvdimm counts them there.
 */
static int daxgup_info_clear_memmap_errors(struct device *dev,
					   struct nd_pfn *nd_pfn,
					   const struct daxgup_info_layout *l)
{
	struct nd_region *nd_region = to_nd_region(nd_pfn->dev.parent);
	sector_t meta_start = (SZ_4K + sizeof(struct nd_pfn_sb)) >> SECTOR_SHIFT;
	int meta_num = (l->dataoff >> SECTOR_SHIFT) - meta_start;
	sector_t first_bad;
	phys_addr_t phys;
	int num_bad, tries;
	long cleared;
	u64 len;

	if (l->mode != PFN_MODE_PMEM)
		return 0;
	/* every pass clears one range, or fails */
	for (tries = 0; tries < meta_num; tries++) {
		if (!badblocks_check(&nd_region->bb, meta_start, meta_num,
				     &first_bad, &num_bad))
			return 0;
		phys = ALIGN_DOWN(nd_region->ndr_start +
				  ((u64)first_bad << SECTOR_SHIFT), PAGE_SIZE);
		len = ALIGN((u64)num_bad << SECTOR_SHIFT, PAGE_SIZE);
		cleared = nvdimm_clear_poison(dev, phys, len);
		if (cleared < 0 || cleared < len) {
			dev_err(dev, "media error at %pa (%llu bytes) in the memmap area, which the platform cannot clear (%ld): libnvdimm would retry it forever; clear or repair it first\n",
				&phys, len, cleared);
			return -EIO;
		}
	}
	dev_err(dev, "media errors in the memmap area do not clear\n");
	return -EIO;
}

/**
 * daxgup_info_judge() - judge a pfn device's info block before it is set up
 * @dev: the pfn device being probed
 * @nd_pfn: its settings (uuid, mode, align, as configured or as read by
 *	nd_pfn_probe()) and namespace, enabled for nsio_rw_bytes()
 *
 * Reads the info block into a buffer of its own and judges it.  Nothing is
 * written: a namespace with no info block of any kind is left to
 * nvdimm_setup_pfn(), which writes one (ndctl create-namespace zeroes the
 * area first); one with a BTT or devdax block, or an fsdax block that
 * fails any check, is refused.  A block that passes may have media errors
 * in its memmap area cleared (daxgup_info_clear_memmap_errors()).
 *
 * Return: 0, or a negative errno after dev_err lines naming the reason.
 */
int daxgup_info_judge(struct device *dev, struct nd_pfn *nd_pfn)
{
	struct daxgup_info_layout l;
	struct nd_pfn_sb *sb;
	const char *kind;
	int rc;

	sb = kmalloc(sizeof(*sb), GFP_KERNEL);
	if (!sb)
		return -ENOMEM;

	rc = daxgup_info_read(dev, nd_pfn->ndns, sb);
	if (rc) {
		rc = -EIO;
		goto out;
	}
	kind = daxgup_info_kind(sb->signature);
	if (!kind) {
		dev_dbg(dev, "no info block: libnvdimm writes a new one\n");
		goto out;
	}
	rc = daxgup_info_judge_sb(dev, nd_pfn, sb);
	if (rc)
		goto out;
	daxgup_info_layout(sb, &l);
	rc = daxgup_info_clear_memmap_errors(dev, nd_pfn, &l);
out:
	kfree(sb);
	if (rc)
		daxgup_refused(dev, nd_pfn->ndns);
	return rc;
}

/**
 * daxgup_info_check_setup() - check what nvdimm_setup_pfn() made of the block
 * @pmem: the device
 * @nd_pfn: the pfn device, its info block (@nd_pfn->pfn_sb) set up
 * @pgmap: the pagemap libnvdimm derived from it
 *
 * The block libnvdimm ended up with is judged again: it wrote it if the
 * namespace had none, and it may have been changed since it was judged.
 * The pagemap must then cover what the block describes.
 *
 * Return: 0 or -EINVAL after a dev_err naming the reason.
 */
int daxgup_info_check_setup(struct daxgup_pmem *pmem, struct nd_pfn *nd_pfn,
			    const struct dev_pagemap *pgmap)
{
	struct nd_pfn_sb *sb = nd_pfn->pfn_sb;
	struct device *dev = pmem->dev;
	u64 end_trunc = le32_to_cpu(sb->end_trunc);
	int rc;

	rc = daxgup_info_judge_sb(dev, nd_pfn, sb);
	if (rc)
		goto refuse;
	rc = -EINVAL;
	if (pgmap->range.start != pmem->phys_addr ||
	    range_len(&pgmap->range) + end_trunc != pmem->size) {
		dev_err(dev, "pagemap %#llx-%#llx does not match namespace %pa+%pa\n",
			pgmap->range.start, pgmap->range.end,
			&pmem->phys_addr, &pmem->size);
		goto refuse;
	}
	if (nd_pfn->mode == PFN_MODE_PMEM &&
	    !(pgmap->flags & PGMAP_ALTMAP_VALID)) {
		dev_err(dev, "memmap in pmem requested but no altmap set up\n");
		goto refuse;
	}
	return 0;
refuse:
	daxgup_refused(dev, nd_pfn->ndns);
	return rc;
}
