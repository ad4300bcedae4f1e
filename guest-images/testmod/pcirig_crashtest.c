// SPDX-License-Identifier: GPL-2.0
/*
 * pcirig_crashtest: makes the guest kernel produce, on demand, each kind of
 * report the rig's console parser must recognise, so its golden tests hold
 * real reports from the real guest kernel rather than hand-written ones.
 *
 *   echo KIND > /sys/kernel/debug/pcirig_crashtest/trigger
 *
 * KIND: bug warn list_add list_del null_deref paging gpf hung_task
 *       soft_lockup rcu_stall
 *
 * Each kind has its own noinline function so the report's first meaningful
 * frame, and so the title, names what happened.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static struct dentry *crashtest_dir;

static noinline void crashtest_bug(void)
{
	BUG();
}

static noinline void crashtest_warn(void)
{
	WARN_ON(1);
}

/* list_add() onto a head whose first entry no longer points back at it. */
static noinline void crashtest_list_add(void)
{
	static LIST_HEAD(head);
	static struct list_head first, stray, entry;

	list_add(&first, &head);
	first.prev = &stray;
	list_add(&entry, &head);
}

/* list_del() of an entry already deleted: its pointers are the poison values. */
static noinline void crashtest_list_del(void)
{
	static LIST_HEAD(head);
	static struct list_head entry;

	list_add(&entry, &head);
	list_del(&entry);
	list_del(&entry);
}

static noinline void crashtest_null_deref(void)
{
	int *p = NULL;

	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(*p, 1);
}

/* A canonical kernel address with nothing mapped: a paging request oops. */
static noinline void crashtest_paging(void)
{
	unsigned long *p = (unsigned long *)0xffffffffff7ff000UL;

	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(*p, 1);
}

/* A non-canonical address (the list poison): a general protection fault. */
static noinline void crashtest_gpf(void)
{
	unsigned long *p = (unsigned long *)LIST_POISON1;

	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(*p, 1);
}

/* Uninterruptible sleep that never ends: khungtaskd reports the writer. */
static noinline void crashtest_hung_task(void)
{
	static DECLARE_COMPLETION(never);

	wait_for_completion(&never);
}

/* Spin with preemption off: the soft lockup watchdog fires. */
static noinline void crashtest_soft_lockup(void)
{
	preempt_disable();
	for (;;)
		cpu_relax();
}

/* Spin with interrupts off: no quiescent state, RCU reports the stall. */
static noinline void crashtest_rcu_stall(void)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
}

static const struct {
	const char *name;
	void (*fn)(void);
} crashtest_kinds[] = {
	{ "bug", crashtest_bug },
	{ "warn", crashtest_warn },
	{ "list_add", crashtest_list_add },
	{ "list_del", crashtest_list_del },
	{ "null_deref", crashtest_null_deref },
	{ "paging", crashtest_paging },
	{ "gpf", crashtest_gpf },
	{ "hung_task", crashtest_hung_task },
	{ "soft_lockup", crashtest_soft_lockup },
	{ "rcu_stall", crashtest_rcu_stall },
};

static ssize_t crashtest_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char kind[32];
	size_t n = min(len, sizeof(kind) - 1);
	int i;

	if (copy_from_user(kind, ubuf, n))
		return -EFAULT;
	kind[n] = '\0';
	strim(kind);

	for (i = 0; i < ARRAY_SIZE(crashtest_kinds); i++) {
		if (strcmp(kind, crashtest_kinds[i].name) == 0) {
			pr_info("pcirig_crashtest: triggering %s\n", kind);
			crashtest_kinds[i].fn();
			return len;
		}
	}
	pr_warn("pcirig_crashtest: unknown kind '%s'\n", kind);
	return -EINVAL;
}

static const struct file_operations crashtest_fops = {
	.owner = THIS_MODULE,
	.write = crashtest_write,
	.llseek = noop_llseek,
};

static int __init crashtest_init(void)
{
	crashtest_dir = debugfs_create_dir("pcirig_crashtest", NULL);
	debugfs_create_file("trigger", 0200, crashtest_dir, NULL, &crashtest_fops);
	return 0;
}

static void __exit crashtest_exit(void)
{
	debugfs_remove_recursive(crashtest_dir);
}

module_init(crashtest_init);
module_exit(crashtest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pcirig: trigger kernel reports on demand for golden console logs");
