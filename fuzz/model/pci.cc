// The PCI globals, the fixed topology of every run (pci.h), bitfield
// accesses and the config space itself.
#include "pcirig/model/pci.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "model/internal.h"

namespace pcirig::model {

raw_spinlock_t pci_lock;
wait_queue_head pci_cfg_wait;
rw_semaphore pci_bus_sem;
struct mutex pci_rescan_remove_lock;
struct mutex pci_slot_mutex;

namespace {

// Index = device id in scenarios: 0 and 1 are the old two root-bus devices.
constexpr const char* kNames[MAX_DEVS] = {"dev0", "dev1", "rp0", "ep1", "rp1", "br", "ep2", "vf1"};
enum { DEV0, DEV1, RP0, EP1, RP1, BR, EP2, VF1 };

pci_dev g_devs[MAX_DEVS];
pci_bus g_bus[4];
pci_slot g_slot;
controller g_ctrl;
vfio_pci_core_device g_vfio[MAX_DEVS];

// Per-object names live for the process (lock names are const char*). Built
// at the first run, then looked up: every run resets the topology, and
// formatting ~40 names per run cost more than a short run itself.
enum Field { F_MUTEX, F_CFG_SEM, F_CFG_MAP, F_MEMORY_LOCK, F_DEV_SET_LOCK, F_IGATE, F_RELEASE_Q, N_FIELDS };
const char* name_of(int dev, Field f) {
  static char buf[MAX_DEVS][N_FIELDS][40];
  static const bool built = [] {
    static const char* what[N_FIELDS] = {"dev.mutex", "cfg_access_sem", "cfg_access_lock", "memory_lock",
                                         "dev_set->lock", "igate", "release_q"};
    for (int d = 0; d < MAX_DEVS; ++d)
      for (int k = 0; k < N_FIELDS; ++k) std::snprintf(buf[d][k], sizeof buf[d][k], "%s->%s", kNames[d], what[k]);
    return true;
  }();
  (void)built;
  return buf[dev][f];
}

// Boot-time topology: plain stores, before any task runs (no oracle sees them).
void add_to_bus(pci_bus& b, pci_dev& d) {
  d.bus = &b;
  d.bus_list.prev = b.devices.prev;
  d.bus_list.next = &b.devices;
  b.devices.prev->next = &d.bus_list;
  b.devices.prev = &d.bus_list;
}

}  // namespace

pci_dev* pci_bus_entry(list_head* pos, list_head* head) {
  kasan_check(pos, sizeof *pos, false, nullptr);  // poison: general protection fault
  if (pos == head) return nullptr;
  for (pci_dev& d : g_devs)
    if (&d.bus_list == pos) return &d;
  std::abort();  // a bus list links only pci_devs
}

pci_dev* pci_dev_by_id(int id) noexcept { return (id >= 0 && id < MAX_DEVS) ? &g_devs[id] : nullptr; }
int run_ndevs() noexcept { return MAX_DEVS; }
pci_dev* pci_dev_by_name(const char* name) noexcept {
  for (int i = 0; i < MAX_DEVS; ++i)
    if (std::strcmp(kNames[i], name) == 0) return &g_devs[i];
  return nullptr;
}
const char* pci_dev_name(int id) noexcept { return (id >= 0 && id < MAX_DEVS) ? kNames[id] : "?"; }
pci_bus* pci_root_bus() noexcept { return &g_bus[0]; }
controller* pciehp_controller() noexcept { return &g_ctrl; }

void pci_dev::init(int i) {
  id = i;
  std::memcpy(name, kNames[i], std::strlen(kNames[i]) + 1);
  bitfield_word = 0;
  block_cfg_access.last_setter = nullptr;
  msi_enabled.last_setter = nullptr;
  block_cfg_access.last_clearer = msi_enabled.last_clearer = nullptr;
  dev.mutex = mutex{};
  dev.mutex.init(name_of(i, F_MUTEX), nullptr, true);  // device_lock: novalidate class
  cfg_access_sem = rw_semaphore{};
  cfg_access_sem.init(name_of(i, F_CFG_SEM), "&dev->cfg_access_sem", true);
  cfg_access_lock = lockdep_map{};
  // 7e89efc6e9e4 registered one lockdep key per device.
  cfg_access_lock.init(name_of(i, F_CFG_MAP), name_of(i, F_CFG_MAP), false);
  cfg_access_lock.is_map = true;
  for (int k = 0; k < 16; ++k) config[k] = 0;
  config[0] = 0x10001af4u + static_cast<u32>(i);  // virtio vendor, a device id
  bus = subordinate = nullptr;
  slot = nullptr;
  has_flr = true;
  is_added = true;
  driver_bound = true;
  vfio = nullptr;
  num_VFs = 0;
}

void pci_reset_globals(int /*ndevs*/) {
  pci_lock = raw_spinlock_t{};
  pci_lock.init("pci_lock", "pci_lock", false);
  pci_cfg_wait.init("pci_cfg_wait", "pci_cfg_wait.lock");
  pci_bus_sem = rw_semaphore{};
  pci_bus_sem.init("pci_bus_sem", "pci_bus_sem", true);
  pci_rescan_remove_lock = mutex{};
  pci_rescan_remove_lock.init("pci_rescan_remove_lock", "pci_rescan_remove_lock", true);
  pci_slot_mutex = mutex{};
  pci_slot_mutex.init("pci_slot_mutex", "pci_slot_mutex", true);

  for (int i = 0; i < MAX_DEVS; ++i) g_devs[i].init(i);
  static const char* bus_names[4] = {"bus 00", "bus 01", "bus 02", "bus 03"};
  for (int b = 0; b < 4; ++b) {
    g_bus[b] = pci_bus{};
    g_bus[b].name = bus_names[b];
    g_bus[b].devices.next = g_bus[b].devices.prev = &g_bus[b].devices;
  }
  for (int d : {DEV0, DEV1, RP0, RP1}) add_to_bus(g_bus[0], g_devs[d]);
  add_to_bus(g_bus[1], g_devs[EP1]);
  add_to_bus(g_bus[2], g_devs[BR]);
  add_to_bus(g_bus[3], g_devs[EP2]);
  g_bus[1].self = &g_devs[RP0];
  g_bus[2].self = &g_devs[RP1];
  g_bus[3].self = &g_devs[BR];
  g_devs[RP0].subordinate = &g_bus[1];
  g_devs[RP1].subordinate = &g_bus[2];
  g_devs[BR].subordinate = &g_bus[3];
  g_devs[EP1].has_flr = false;
  // ep1's VF: not on any bus until ep1's driver enables SR-IOV
  g_devs[VF1].bus = &g_bus[1];
  g_devs[VF1].bus_list = list_head{};
  g_devs[VF1].is_added = false;
  g_devs[VF1].driver_bound = false;

  // rp0's pciehp controller and slot 1
  g_ctrl.port = &g_devs[RP0];
  g_ctrl.reset_lock = rw_semaphore{};
  g_ctrl.reset_lock.init("ctrl->reset_lock", "&ctrl->reset_lock", true);
  g_ctrl.depth = 0;
  g_ctrl.on = true;
  g_ctrl.irq_thread = mutex{};
  g_ctrl.irq_thread.init("pciehp irq thread", nullptr, true);
  g_ctrl.hotplug.ctrl = &g_ctrl;
  g_slot.bus = &g_bus[1];
  g_slot.hotplug = &g_ctrl.hotplug;
  g_bus[1].slot = &g_slot;
  g_devs[EP1].slot = &g_slot;

  for (int d : {DEV0, DEV1, EP1, EP2}) {
    vfio_pci_core_device& v = g_vfio[d];
    v.pdev = &g_devs[d];
    v.memory_lock = rw_semaphore{};
    v.memory_lock.init(name_of(d, F_MEMORY_LOCK), "&vdev->memory_lock", true);
    v.dev_set_lock = mutex{};
    v.dev_set_lock.init(name_of(d, F_DEV_SET_LOCK), "&dev_set->lock", true);
    v.igate = mutex{};
    v.igate.init(name_of(d, F_IGATE), "&vdev->igate", true);
    v.open_count = 1;
    v.release_q.init(name_of(d, F_RELEASE_Q), "&vdev->release_q.lock");
    v.reset_works = true;
    v.ioctls_in_flight = 0;
    v.release_requested = false;
    v.closing = false;
    g_devs[d].vfio = &v;
  }
}

void vfio_device_request(vfio_pci_core_device* vdev) {
  vdev->release_requested = true;
  // No ioctl holds the file: the close releases it now. (The release path's
  // reset runs only when a scenario task does the release.)
  if (vdev->ioctls_in_flight == 0 && !vdev->closing) vdev->open_count = 0;
}

unsigned int BitLoad::await_resume() const {
  // data_race(): intentionally racy, KCSAN does not look at it.
  if (!marked) kcsan_access(bf->word, sizeof(*bf->word), false, false, p.fn);
  current->m.last_read = bf;
  return (*bf->word & bf->mask) ? 1u : 0u;
}

void BitStore::await_resume() const {
  // A C bitfield store: load the word, change the bit, store the word.
  kcsan_access(bf->word, sizeof(*bf->word), false, false, p.fn);
  unsigned long w = *bf->word;
  w = value ? (w | bf->mask) : (w & ~bf->mask);
  kcsan_access(bf->word, sizeof(*bf->word), true, false, p.fn);
  *bf->word = w;
  bf->last_setter = value ? current : nullptr;
  if (!value) bf->last_clearer = current, bf->cleared_in = Frames::of(current);
}

static void check_user_access(pci_dev* dev, const char* what) {
  if (!world().oracles.protocol || !current->m.user_access) return;
  if (!(dev->bitfield_word & dev->block_cfg_access.mask) || dev->block_cfg_access.last_setter == current) return;
  const task_struct* b = dev->block_cfg_access.last_setter;
  oops(ReportKind::protocol, "BUG: config access while blocked in " + title_func(current),
       std::string("pcirig: user config ") + what + " of " + dev->name + " by " + task_tag(current) +
           " ran while " + (b ? task_tag(b) : std::string("another task")) +
           " holds pci_cfg_access_lock (block_cfg_access = 1)");
}

bool bug_on(bool cond, const char* cond_text, const char* fn, int line) {
  if (cond)
    oops(ReportKind::bug, std::string("kernel BUG in ") + fn,
         std::string("------------[ cut here ]------------\nkernel BUG at ") + fn + ":" + std::to_string(line) +
             "!\ninvalid opcode: 0000 [#1] SMP\nCPU: 0 PID: " + std::to_string(current->pid) + " Comm: " +
             current->comm + "\nBUG_ON(" + cond_text + ")\nCall Trace:\n " + stack_string(current));
  return cond;
}

Co<int> pci_ops_read(pci_dev* dev, int where, u32* val)
{
	co_await sched_point("bus->ops->read", dev->name);
	check_user_access(dev, "read");
	*val = dev->config[(where / 4) & 15];
	co_return PCIBIOS_SUCCESSFUL;
}

Co<int> pci_ops_write(pci_dev* dev, int where, u32 val)
{
	co_await sched_point("bus->ops->write", dev->name);
	check_user_access(dev, "write");
	if (where >= 4) dev->config[(where / 4) & 15] = val;  // the ID is read-only
	co_return PCIBIOS_SUCCESSFUL;
}

Co<void> pci_lock_config(unsigned long& flags)
{
	if (!world().lockless_config)
		co_await raw_spin_lock_irqsave(&pci_lock, flags);
}

Co<void> pci_unlock_config(unsigned long& flags)
{
	if (!world().lockless_config)
		co_await raw_spin_unlock_irqrestore(&pci_lock, flags);
}

}  // namespace pcirig::model
