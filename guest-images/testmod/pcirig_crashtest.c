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
 *   needing CONFIG_PROVE_LOCKING (lockdep):
 *       lock_order recursive_lock lock_held double_unlock held_lock_freed
 *       rcu_suspicious inconsistent_lock
 *   needing CONFIG_DEBUG_ATOMIC_SLEEP: sleep_atomic; any kernel: sched_atomic
 *   needing CONFIG_KFENCE: kfence; CONFIG_UBSAN: ubsan;
 *   CONFIG_WQ_WATCHDOG: wq_lockup
 *   real deadlocks, left for the rig to find (no report of their own):
 *       deadlock_abba deadlock_rwsem deadlock_cycle3, each optionally
 *       followed by a PCI function ("deadlock_abba 0000:01:00.0")
 *
 * Each kind has its own noinline function so the report's first meaningful
 * frame, and so the title, names what happened.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/kfence.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

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

/*
 * Lockdep, might_sleep() and the workqueue watchdog report and carry on; some
 * lockdep reports print only on the way back to user space, after the trigger
 * returned. Those kinds end the boot with a panic a few seconds later, from a
 * timer, so the capture stops with the report on the console.
 */
static void crashtest_end_fn(struct timer_list *t)
{
	panic("pcirig_crashtest: report printed, ending the capture");
}
static DEFINE_TIMER(crashtest_end, crashtest_end_fn);

static void crashtest_end_soon(void)
{
	mod_timer(&crashtest_end, jiffies + 3 * HZ);
}

struct crashtest_obj {
	struct mutex lock;
};

static DEFINE_MUTEX(crashtest_mutex_a);
static DEFINE_MUTEX(crashtest_mutex_b);

/* A then B, later B then A: a circular dependency (ABBA) for lockdep. */
static noinline void crashtest_lock_order(void)
{
	mutex_lock(&crashtest_mutex_a);
	mutex_lock(&crashtest_mutex_b);
	mutex_unlock(&crashtest_mutex_b);
	mutex_unlock(&crashtest_mutex_a);

	mutex_lock(&crashtest_mutex_b);
	mutex_lock(&crashtest_mutex_a);
	mutex_unlock(&crashtest_mutex_a);
	mutex_unlock(&crashtest_mutex_b);
	crashtest_end_soon();
}

/* Two locks of one class (one init site), nested without an annotation. */
static noinline void crashtest_recursive_lock(void)
{
	static struct crashtest_obj objs[2];
	int i;

	for (i = 0; i < ARRAY_SIZE(objs); i++)
		mutex_init(&objs[i].lock);
	mutex_lock(&objs[0].lock);
	mutex_lock(&objs[1].lock);
	mutex_unlock(&objs[1].lock);
	mutex_unlock(&objs[0].lock);
	crashtest_end_soon();
}

/* Back to user space with a mutex held: lockdep reports it on the way out. */
static noinline void crashtest_lock_held(void)
{
	static DEFINE_MUTEX(held);

	mutex_lock(&held);
	crashtest_end_soon();
}

/* One unlock too many. */
static noinline void crashtest_double_unlock(void)
{
	static DEFINE_MUTEX(lock);

	mutex_lock(&lock);
	mutex_unlock(&lock);
	mutex_unlock(&lock);
	crashtest_end_soon();
}

/* kfree() of memory holding a lock that is still held. */
static noinline void crashtest_held_lock_freed(void)
{
	struct crashtest_obj *obj = kmalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj)
		return;
	mutex_init(&obj->lock);
	mutex_lock(&obj->lock);
	kfree(obj);
	crashtest_end_soon();
}

static int crashtest_rcu_value = 1;
static int __rcu *crashtest_rcu_ptr;

/* rcu_dereference() outside any RCU read-side critical section. */
static noinline void crashtest_rcu_suspicious(void)
{
	int *p;

	RCU_INIT_POINTER(crashtest_rcu_ptr, &crashtest_rcu_value);
	p = rcu_dereference(crashtest_rcu_ptr);
	pr_info("pcirig_crashtest: read %d\n", *p);
	crashtest_end_soon();
}

/*
 * A lock taken with softirqs enabled in process context and then from a
 * timer (softirq): {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W}. Never held at once, so
 * nothing really deadlocks.
 */
static DEFINE_SPINLOCK(crashtest_irq_lock);

static void crashtest_inconsistent_timer(struct timer_list *t)
{
	spin_lock(&crashtest_irq_lock);
	spin_unlock(&crashtest_irq_lock);
}
static DEFINE_TIMER(crashtest_irq_timer, crashtest_inconsistent_timer);

static noinline void crashtest_inconsistent_lock(void)
{
	spin_lock(&crashtest_irq_lock);
	spin_unlock(&crashtest_irq_lock);
	mod_timer(&crashtest_irq_timer, jiffies + 1);
	crashtest_end_soon();
}

/* mutex_lock() (may sleep) under a spinlock: might_sleep() reports it. */
static noinline void crashtest_sleep_atomic(void)
{
	static DEFINE_SPINLOCK(lock);
	static DEFINE_MUTEX(inner);

	spin_lock(&lock);
	mutex_lock(&inner);
	mutex_unlock(&inner);
	spin_unlock(&lock);
	crashtest_end_soon();
}

/* schedule() with preemption disabled. */
static noinline void crashtest_sched_atomic(void)
{
	preempt_disable();
	schedule();
	preempt_enable();
	crashtest_end_soon();
}

/* Read after kfree() of an object KFENCE guards (sampled: retry until one is). */
static noinline void crashtest_kfence(void)
{
	int tries;

	for (tries = 0; tries < 3000; tries++) {
		char *p = kmalloc(32, GFP_KERNEL);

		if (!p)
			return;
		if (is_kfence_address(p)) {
			kfree(p);
			pr_info("pcirig_crashtest: read %d\n", READ_ONCE(p[0]));
			crashtest_end_soon();
			return;
		}
		kfree(p);
		msleep(10);
	}
	pr_warn("pcirig_crashtest: no KFENCE allocation in 30 s (kfence.sample_interval?)\n");
}

/* An array index one past the end (UBSAN_SANITIZE for this object: Kbuild). */
static noinline void crashtest_ubsan(void)
{
	static int table[4];
	int i = ARRAY_SIZE(table);

	OPTIMIZER_HIDE_VAR(i);
	pr_info("pcirig_crashtest: read %d\n", table[i]);
	crashtest_end_soon();
}

/*
 * A work item that spins on a per-CPU pool while another waits behind it: the
 * pool makes no progress and the workqueue watchdog reports a lockup.
 */
static void crashtest_wq_spin(struct work_struct *w)
{
	for (;;)
		cpu_relax();
}
static void crashtest_wq_starved(struct work_struct *w)
{
}
static DECLARE_WORK(crashtest_spin_work, crashtest_wq_spin);
static DECLARE_WORK(crashtest_starved_work, crashtest_wq_starved);

static noinline void crashtest_wq_lockup(void)
{
	mod_timer(&crashtest_end, jiffies + 10 * HZ);
	queue_work_on(0, system_wq, &crashtest_spin_work);
	queue_work_on(0, system_wq, &crashtest_starved_work);
}


/*
 * Real deadlocks between kernel threads, formed on demand and never undone (the
 * module cannot be unloaded afterwards). Lock A is the device lock of the PCI
 * function named after the kind, as in the hot-plug deadlocks this rig hunts:
 * the workload's resets and an unplug of that function then block behind it.
 * Without a function A is a mutex of this module. Both are outside lockdep's
 * validation (device_lock always is, A is made so), so lockdep does not see the
 * cycle coming and report it first; it still lists every held lock (sysrq d).
 *
 * Every task takes its first lock, then waits until all have theirs: past that
 * point the cycle cannot be avoided, and the trigger returns saying "formed".
 */
static DEFINE_MUTEX(crashtest_dl_a);
static DEFINE_MUTEX(crashtest_dl_b);
static DEFINE_MUTEX(crashtest_dl_c);
static DECLARE_RWSEM(crashtest_dl_sem);
static struct device *crashtest_dl_dev;
static DECLARE_COMPLETION(crashtest_dl_go);
static atomic_t crashtest_dl_holding = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(crashtest_dl_wq);

static void crashtest_dl_lock_a(void)
{
	if (crashtest_dl_dev)
		device_lock(crashtest_dl_dev);
	else
		mutex_lock(&crashtest_dl_a);
}

static void crashtest_dl_hold_first(void)
{
	atomic_inc(&crashtest_dl_holding);
	wake_up(&crashtest_dl_wq);
	wait_for_completion(&crashtest_dl_go);
}

/* Each task has its own function, so a hung-task title names its part. */
static noinline int crashtest_abba_a_then_b(void *unused)
{
	crashtest_dl_lock_a();
	crashtest_dl_hold_first();
	mutex_lock(&crashtest_dl_b);
	return 0;
}

static noinline int crashtest_abba_b_then_a(void *unused)
{
	mutex_lock(&crashtest_dl_b);
	crashtest_dl_hold_first();
	crashtest_dl_lock_a();
	return 0;
}

/* The writer holds A and queues for the rwsem, which a reader holds while it waits for A. */
static noinline int crashtest_rwsem_writer(void *unused)
{
	crashtest_dl_lock_a();
	crashtest_dl_hold_first();
	down_write(&crashtest_dl_sem);
	return 0;
}

static noinline int crashtest_rwsem_reader(void *unused)
{
	down_read(&crashtest_dl_sem);
	crashtest_dl_hold_first();
	crashtest_dl_lock_a();
	return 0;
}

/* A -> B -> C -> A over three tasks. */
static noinline int crashtest_cycle3_a_then_b(void *unused)
{
	crashtest_dl_lock_a();
	crashtest_dl_hold_first();
	mutex_lock(&crashtest_dl_b);
	return 0;
}

static noinline int crashtest_cycle3_b_then_c(void *unused)
{
	mutex_lock(&crashtest_dl_b);
	crashtest_dl_hold_first();
	mutex_lock(&crashtest_dl_c);
	return 0;
}

static noinline int crashtest_cycle3_c_then_a(void *unused)
{
	mutex_lock(&crashtest_dl_c);
	crashtest_dl_hold_first();
	crashtest_dl_lock_a();
	return 0;
}

static bool crashtest_dl_used;

static void crashtest_deadlock(const char *kind, const char *bdf, int (*const fns[])(void *), int n)
{
	unsigned int dom, bus, slot, fn;
	int i;

	if (crashtest_dl_used) {
		pr_warn("pcirig_crashtest: one deadlock per boot\n");
		return;
	}
	if (bdf && *bdf) {
		struct pci_dev *pdev = NULL;

		if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) == 4)
			pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
		if (!pdev) {
			pr_warn("pcirig_crashtest: no PCI function '%s'\n", bdf);
			return;
		}
		crashtest_dl_dev = &pdev->dev;  /* the reference is kept: the lock stays held */
	}
	crashtest_dl_used = true;
	for (i = 0; i < n; i++)
		kthread_run(fns[i], NULL, "dl-%s/%d", kind + strlen("deadlock_"), i);
	wait_event(crashtest_dl_wq, atomic_read(&crashtest_dl_holding) == n);
	complete_all(&crashtest_dl_go);
	pr_info("pcirig_crashtest: %s formed: %d tasks, lock A is %s\n", kind, n,
		crashtest_dl_dev ? dev_name(crashtest_dl_dev) : "crashtest_dl_a");
}

static const char *crashtest_arg;

static noinline void crashtest_deadlock_abba(void)
{
	static int (*const fns[])(void *) = { crashtest_abba_a_then_b, crashtest_abba_b_then_a };

	crashtest_deadlock("deadlock_abba", crashtest_arg, fns, ARRAY_SIZE(fns));
}

static noinline void crashtest_deadlock_rwsem(void)
{
	static int (*const fns[])(void *) = { crashtest_rwsem_reader, crashtest_rwsem_writer };

	crashtest_deadlock("deadlock_rwsem", crashtest_arg, fns, ARRAY_SIZE(fns));
}

static noinline void crashtest_deadlock_cycle3(void)
{
	static int (*const fns[])(void *) = { crashtest_cycle3_a_then_b, crashtest_cycle3_b_then_c,
					       crashtest_cycle3_c_then_a };

	crashtest_deadlock("deadlock_cycle3", crashtest_arg, fns, ARRAY_SIZE(fns));
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
	{ "lock_order", crashtest_lock_order },
	{ "recursive_lock", crashtest_recursive_lock },
	{ "lock_held", crashtest_lock_held },
	{ "double_unlock", crashtest_double_unlock },
	{ "held_lock_freed", crashtest_held_lock_freed },
	{ "rcu_suspicious", crashtest_rcu_suspicious },
	{ "inconsistent_lock", crashtest_inconsistent_lock },
	{ "sleep_atomic", crashtest_sleep_atomic },
	{ "sched_atomic", crashtest_sched_atomic },
	{ "kfence", crashtest_kfence },
	{ "ubsan", crashtest_ubsan },
	{ "wq_lockup", crashtest_wq_lockup },
	{ "deadlock_abba", crashtest_deadlock_abba },
	{ "deadlock_rwsem", crashtest_deadlock_rwsem },
	{ "deadlock_cycle3", crashtest_deadlock_cycle3 },
};

static ssize_t crashtest_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[64], *kind, *arg;
	size_t n = min(len, sizeof(buf) - 1);
	int i;

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	kind = strim(buf);
	/* "KIND ARG": the deadlock kinds take a PCI function */
	arg = strchr(kind, ' ');
	if (arg) {
		*arg++ = '\0';
		arg = strim(arg);
	}
	crashtest_arg = arg;

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
	lockdep_set_novalidate_class(&crashtest_dl_a);
	crashtest_dir = debugfs_create_dir("pcirig_crashtest", NULL);
	debugfs_create_file("trigger", 0200, crashtest_dir, NULL, &crashtest_fops);
	return 0;
}

static void __exit crashtest_exit(void)
{
	del_timer_sync(&crashtest_end);
	del_timer_sync(&crashtest_irq_timer);
	debugfs_remove_recursive(crashtest_dir);
}

module_init(crashtest_init);
module_exit(crashtest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pcirig: trigger kernel reports on demand for golden console logs");
