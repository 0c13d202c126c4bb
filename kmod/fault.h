/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault points for tests.  Debian's kernel is built without the kernel's
 * fault injection (CONFIG_FAULT_INJECTION, should_fail()), so the module
 * carries its own, compiled in only by `make CONFIG_THINBLK_FAULTS=y`
 * (tests build that variant beside the real one: `make module-faults`).
 * Without it every point is a constant false and costs nothing.
 *
 * Each point is a file in debugfs, /sys/kernel/debug/thinblk/faults/NAME:
 *   write "SKIP COUNT [ARG]"  the next SKIP calls pass, the COUNT after them
 *                             fire (COUNT -1: every one); "0 0" disarms
 *   read                      "SKIP COUNT ARG HITS" (HITS: times fired)
 * They are global (every pool); a test arms one, does one thing, reads HITS.
 *
 *   meta_read     a blocking metadata block read (bm.c; cached or not)
 *                 fails with -EIO
 *   meta_write    the cache flush after the dirty metadata blocks were
 *                 written (bm.c; twice per commit: after the new blocks, then
 *                 after the superblock) fails with -EIO, as a device whose
 *                 FLUSH fails: the blocks were sent, nothing says they are
 *                 durable.  (Failing the writes themselves is dm-flakey's
 *                 job: a buffer this skipped would stay dirty in dm-bufio,
 *                 which a real error never leaves.)
 *   data_read     a read bio to the data device ends with BLK_STS_IOERR
 *   data_write    a write bio to the data device ends with BLK_STS_IOERR
 *   data_alloc    a data block allocation finds no space (-ENOSPC); one
 *                 tried from bio submission is tried again by the worker,
 *                 so arm it "0 -1" for "the data device is full"
 *   commit_delay  a commit sleeps ARG ms between its data flush and its
 *                 metadata writes, with the metadata lock held
 *
 * commit_delay's ARG is at most TB_FAULT_DELAY_MAX_MS (hung-task reports
 * start at 120 s).  Not covered: the superblock probe at pool open
 * (tb_bm_peek), and the data device's zeroing, discards and flushes.
 *
 * Locking: tb_faults_lock (fault.c) guards every point's state; points may
 * fire with interrupts off or in atomic context (spin_lock_irqsave).
 */
#ifndef THINBLK_FAULT_H
#define THINBLK_FAULT_H

#include <linux/types.h>

#define TB_FAULT_DELAY_MAX_MS	60000

enum tb_fault_point {
	TB_FAULT_META_READ,
	TB_FAULT_META_WRITE,
	TB_FAULT_DATA_READ,
	TB_FAULT_DATA_WRITE,
	TB_FAULT_DATA_ALLOC,
	TB_FAULT_COMMIT_DELAY,
	TB_NR_FAULTS
};

#ifdef CONFIG_THINBLK_FAULTS
/* Should this call at @p fail (or, for commit_delay, sleep)? */
bool tb_fault(enum tb_fault_point p);
/* commit_delay: sleep ARG ms if the point fires (may sleep). */
void tb_fault_delay(enum tb_fault_point p);
void tb_faults_init(void);
void tb_faults_exit(void);
#else
static inline bool tb_fault(enum tb_fault_point p)
{
	return false;
}

static inline void tb_fault_delay(enum tb_fault_point p)
{
}

static inline void tb_faults_init(void)
{
}

static inline void tb_faults_exit(void)
{
}
#endif

#endif
