// The shrinking moves of `pcirig repro --minimize` (rig/src/repro/shrink.hpp) on a
// journal's replay ops and the topology they run on.
#include <gtest/gtest.h>

#include "repro/shrink.hpp"

using namespace pcirig;

namespace {
ReplayOp op(double t, const char* action, const char* slot) { return {t, action, slot, "net"}; }

// rp1 holds a cold device; rp3 and rp4 are storm slots.
Reproducer two_slots() {
  Reproducer r;
  r.topo.root_ports = {{"rp1", "pcie.0", 1, 1}, {"rp3", "pcie.0", 1, 3}, {"rp4", "pcie.0", 1, 4}};
  r.topo.devices = {{"net0", "net", "rp1"}};
  r.topo.hotplug.slots = {"rp3", "rp4"};
  r.replay = {op(0.1, "plug", "rp3"), op(0.2, "plug", "rp4"), op(0.5, "unplug", "rp3"),
              op(0.9, "plug", "rp3"), op(1.0, "unplug", "rp4"), op(1.4, "unplug", "rp3")};
  return r;
}
}  // namespace

TEST(ReproShrink, CyclesPairEachPlugWithItsSlotsNextUnplug) {
  auto c = hotplug_cycles(two_slots().replay);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], (std::vector<size_t>{0, 2}));  // rp3
  EXPECT_EQ(c[1], (std::vector<size_t>{1, 4}));  // rp4
  EXPECT_EQ(c[2], (std::vector<size_t>{3, 5}));  // rp3 again
  // An unplug with no plug before it (the journal began mid-cycle) stands alone.
  auto lone = hotplug_cycles({op(0.1, "unplug", "rp3"), op(0.2, "unplug", "rp3")});
  EXPECT_EQ(lone.size(), 2u);
}

TEST(ReproShrink, WithoutCyclesKeepsEachSlotAlternating) {
  Reproducer r = without_cycles(two_slots(), 0, 1);
  ASSERT_EQ(r.replay.size(), 4u);
  EXPECT_EQ(r.replay[0].slot, "rp4");
  EXPECT_EQ(r.replay[0].action, "plug");
  EXPECT_EQ(r.replay[1].slot, "rp3");
  EXPECT_EQ(r.replay[1].action, "plug");
  EXPECT_DOUBLE_EQ(r.replay[1].t, 0.9);  // the kept events keep their times
  EXPECT_EQ(hotplug_cycles(r.replay).size(), 2u);
  EXPECT_EQ(two_slots().replay.size(), 6u);  // the input is untouched
}

TEST(ReproShrink, WithoutSlotTakesItsEventsAndEmptyPort) {
  Reproducer r = without_slot(two_slots(), "rp3");
  EXPECT_EQ(r.topo.hotplug.slots, std::vector<std::string>{"rp4"});
  EXPECT_TRUE(r.topo.hotplug.enabled);
  ASSERT_EQ(r.replay.size(), 2u);
  for (const auto& o : r.replay) EXPECT_EQ(o.slot, "rp4");
  ASSERT_EQ(r.topo.root_ports.size(), 2u);
  EXPECT_EQ(r.topo.root_ports[1].id, "rp4");
  r = without_slot(r, "rp4");
  EXPECT_FALSE(r.topo.hotplug.enabled);
  EXPECT_TRUE(r.replay.empty());
  // A port holding a cold device stays.
  Reproducer cold = two_slots();
  cold.topo.hotplug.slots.push_back("rp1");
  cold = without_slot(cold, "rp1");
  EXPECT_EQ(cold.topo.root_ports.size(), 3u);
}

TEST(ReproShrink, ShorterRunDropsLaterEvents) {
  Reproducer r = shorter_run(two_slots(), 0.9);
  ASSERT_EQ(r.replay.size(), 4u);
  EXPECT_DOUBLE_EQ(r.replay.back().t, 0.9);
}
