// SPDX-License-Identifier: GPL-2.0
/*
 * daxgup_pmem pin wait: before the pagemap of an fsdax device is unmapped,
 * wait until none of its pages is referenced any more, e.g. by direct I/O
 * still in flight into a DAX mapping (pin_user_pages()).
 *
 * MEMORY_DEVICE_FS_DAX pages are 1-based: refcount 1 means idle.  In 6.12
 * the put that brings a page back to 1 calls wake_up_var(&folio->_refcount)
 * (__put_devmap_managed_folio_refs()); fsdax pages are order-0 folios, so
 * that is &page->_refcount, the variable waited on here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/page_ref.h>
#include <linux/sched.h>
#include <linux/wait_bit.h>

#include "daxgup_pmem.h"

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
		if (daxgup_page_pinned(pfn_to_page(pfn)))
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
unsigned long daxgup_wait_unpinned(struct device *dev,
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
		rc = daxgup_wait_page_idle(pfn_to_page(pfn), timeout);
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
