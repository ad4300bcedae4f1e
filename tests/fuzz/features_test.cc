// Lock-order and wait-for edges (features.cc): what libFuzzer's second set of
// extra counters sees. Keys are hashes; the tests check which schedules and
// lock orders give keys, and that the same run gives the same ones.
#include <gtest/gtest.h>

#include <set>

#include "pcirig/model/kernel.h"
#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"

using namespace pcirig::model;

namespace {

std::set<std::uint64_t> g_keys;
void collect(std::uint64_t k) { g_keys.insert(k); }

RunConfig cfg() {
  RunConfig c;
  c.variant = find_variant("v5.9");
  c.feature_hook = collect;
  return c;
}

struct mutex g_a, g_b;
void init_locks() {
  g_a = mutex{};
  g_a.init("g_a", "g_a", true);
  g_b = mutex{};
  g_b.init("g_b", "g_b", true);
}

Co<void> a_then_b()
{
	co_await mutex_lock(&g_a);
	co_await mutex_lock(&g_b);
	co_await mutex_unlock(&g_b);
	co_await mutex_unlock(&g_a);
}
Co<void> b_then_a()
{
	co_await mutex_lock(&g_b);
	co_await mutex_lock(&g_a);
	co_await mutex_unlock(&g_a);
	co_await mutex_unlock(&g_b);
}
Co<void> hold_a()
{
	co_await mutex_lock(&g_a);
	co_await sched_point("between", "g_a");
	co_await mutex_unlock(&g_a);
}

std::set<std::uint64_t> keys_of(std::vector<TaskBody> bodies, Chooser& ch) {
  g_keys.clear();
  run_bodies(bodies, 1, ch, cfg());
  return g_keys;
}

// Runs the task whose id is next in `order`, else the first enabled.
class Scripted final : public Chooser {
 public:
  explicit Scripted(std::vector<int> order) : order_(std::move(order)) {}
  int choose(std::span<const int> cand, int, std::uint64_t) override {
    if (pos_ < order_.size())
      for (std::size_t i = 0; i < cand.size(); ++i)
        if (cand[i] == order_[pos_]) return ++pos_, static_cast<int>(i);
    return 0;
  }

 private:
  std::vector<int> order_;
  std::size_t pos_ = 0;
};

TEST(Features, OneLockOrderPairPerNestingAndDirection) {
  NonPreemptiveChooser ch;
  auto ab = keys_of({[] { init_locks(); return a_then_b(); }}, ch);
  auto ab2 = keys_of({[] { init_locks(); return a_then_b(); }}, ch);
  auto ba = keys_of({[] { init_locks(); return b_then_a(); }}, ch);
  auto a = keys_of({[] { init_locks(); return hold_a(); }}, ch);
  EXPECT_EQ(ab.size(), 1u);  // g_b taken under g_a
  EXPECT_EQ(ab, ab2);
  EXPECT_EQ(ba.size(), 1u);
  EXPECT_NE(ab, ba);
  EXPECT_TRUE(a.empty());  // nothing held when g_a is taken
}

TEST(Features, WaitForEdgeOnlyWhenATaskWaits) {
  auto bodies = [] {
    return std::vector<TaskBody>{[] { init_locks(); return hold_a(); }, [] { return hold_a(); }};
  };
  NonPreemptiveChooser serial;  // T0 is done before T1 asks for g_a
  EXPECT_TRUE(keys_of(bodies(), serial).empty());
  Scripted overlap({0, 0, 1});  // T0 takes g_a and parks; T1 then waits for it
  auto waited = keys_of(bodies(), overlap);
  EXPECT_EQ(waited.size(), 1u);  // T1 in hold_a waits for g_a held by T0 in hold_a
  Scripted again({0, 0, 1});
  EXPECT_EQ(keys_of(bodies(), again), waited);
}

TEST(Features, NoHookNoKeys) {
  g_keys.clear();
  RunConfig c = cfg();
  c.feature_hook = nullptr;
  Scripted overlap({0, 0, 1});
  run_bodies({[] { init_locks(); return hold_a(); }, [] { return hold_a(); }}, 1, overlap, c);
  EXPECT_TRUE(g_keys.empty());
}

}  // namespace
