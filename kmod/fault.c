// SPDX-License-Identifier: GPL-2.0
/*
 * Fault points for tests (CONFIG_THINBLK_FAULTS only).  See fault.h.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "fault.h"

#define TB_FAULT_TEXT_MAX	96	/* 4 numbers of up to 20 digits */

struct tb_fault_state {
	long skip;		/* calls left to pass before firing */
	long count;		/* firings left; -1: no end */
	unsigned int arg;	/* commit_delay: ms */
	unsigned long hits;	/* firings so far */
};

static const char *const tb_fault_names[TB_NR_FAULTS] = {
	[TB_FAULT_META_READ]	= "meta_read",
	[TB_FAULT_META_WRITE]	= "meta_write",
	[TB_FAULT_DATA_READ]	= "data_read",
	[TB_FAULT_DATA_WRITE]	= "data_write",
	[TB_FAULT_DATA_ALLOC]	= "data_alloc",
	[TB_FAULT_COMMIT_DELAY]	= "commit_delay",
};

/* Guards tb_faults[] (every field); taken in any context. */
static DEFINE_SPINLOCK(tb_faults_lock);
static struct tb_fault_state tb_faults[TB_NR_FAULTS];
static struct dentry *tb_faults_root;

/* Fire @p or not; with the ARG it was armed with in *@arg. */
static bool tb_fault_fire(enum tb_fault_point p, unsigned int *arg)
{
	struct tb_fault_state *f = &tb_faults[p];
	unsigned long flags;
	bool fire = false;

	if (!READ_ONCE(f->count))
		return false;
	spin_lock_irqsave(&tb_faults_lock, flags);
	if (!f->count) {
		/* disarmed meanwhile */
	} else if (f->skip) {
		f->skip--;
	} else {
		if (f->count > 0)
			f->count--;
		f->hits++;
		*arg = f->arg;
		fire = true;
	}
	spin_unlock_irqrestore(&tb_faults_lock, flags);
	return fire;
}

bool tb_fault(enum tb_fault_point p)
{
	unsigned int arg;
	bool fire = tb_fault_fire(p, &arg);

	if (fire)
		pr_info_ratelimited("thinblk: fault point %s fired\n",
				    tb_fault_names[p]);
	return fire;
}

void tb_fault_delay(enum tb_fault_point p)
{
	unsigned int ms;

	might_sleep();
	if (!tb_fault_fire(p, &ms))
		return;
	pr_info("thinblk: fault point %s: %u ms\n", tb_fault_names[p], ms);
	msleep(ms);
}

static ssize_t tb_fault_read(struct file *file, char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	enum tb_fault_point p = (uintptr_t)file->private_data;
	struct tb_fault_state f;
	char text[TB_FAULT_TEXT_MAX];
	int n;

	spin_lock_irq(&tb_faults_lock);
	f = tb_faults[p];
	spin_unlock_irq(&tb_faults_lock);
	n = scnprintf(text, sizeof(text), "%ld %ld %u %lu\n",
		      f.skip, f.count, f.arg, f.hits);
	return simple_read_from_buffer(ubuf, len, ppos, text, n);
}

static ssize_t tb_fault_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	enum tb_fault_point p = (uintptr_t)file->private_data;
	char text[TB_FAULT_TEXT_MAX];
	long skip, count;
	unsigned int arg = 0;
	int n;

	if (len >= sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, ubuf, len))
		return -EFAULT;
	text[len] = '\0';
	n = sscanf(text, "%ld %ld %u", &skip, &count, &arg);
	if (n < 2 || skip < 0 || count < -1 || arg > TB_FAULT_DELAY_MAX_MS)
		return -EINVAL;
	spin_lock_irq(&tb_faults_lock);
	tb_faults[p].skip = skip;
	tb_faults[p].arg = arg;
	tb_faults[p].hits = 0;
	WRITE_ONCE(tb_faults[p].count, count);
	spin_unlock_irq(&tb_faults_lock);
	return len;
}

static const struct file_operations tb_fault_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= tb_fault_read,
	.write	= tb_fault_write,
	.llseek	= default_llseek,
};

void tb_faults_init(void)
{
	struct dentry *dir;
	uintptr_t p;

	tb_faults_root = debugfs_create_dir("thinblk", NULL);
	dir = debugfs_create_dir("faults", tb_faults_root);
	for (p = 0; p < TB_NR_FAULTS; p++)
		debugfs_create_file(tb_fault_names[p], 0600, dir, (void *)p,
				    &tb_fault_fops);
	pr_notice("thinblk: built with fault points (CONFIG_THINBLK_FAULTS): for tests only\n");
}

void tb_faults_exit(void)
{
	debugfs_remove_recursive(tb_faults_root);
}
