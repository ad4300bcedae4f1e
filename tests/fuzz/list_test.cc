// include/linux/list.h + CONFIG_DEBUG_LIST checks, outside any run.
#include <gtest/gtest.h>

#include "pcirig/model/engine.h"
#include "pcirig/model/list.h"

using namespace pcirig::model;

namespace {

void fresh_world() {
  world().has_report = false;
  world().report = Report{};
  world().oracles = OracleConfig{};
  world().stack_objects.clear();
}

TEST(List, AddDelKeepsRingConsistentAndPoisons) {
  fresh_world();
  list_head head, a, b;
  INIT_LIST_HEAD(&head);
  list_add(&a, &head);
  list_add(&b, &head);  // at the head: head -> b -> a
  EXPECT_EQ(head.next, &b);
  EXPECT_EQ(b.next, &a);
  EXPECT_EQ(a.next, &head);
  EXPECT_EQ(head.prev, &a);
  list_del(&b);
  EXPECT_EQ(head.next, &a);
  EXPECT_EQ(a.prev, &head);
  EXPECT_EQ(b.next, LIST_POISON1);
  EXPECT_EQ(b.prev, LIST_POISON2);
  list_del_init(&a);
  EXPECT_TRUE(list_empty(&head));
  EXPECT_TRUE(list_empty(&a));
  EXPECT_TRUE(list_empty_careful(&head));
  EXPECT_FALSE(world().has_report);
}

TEST(List, AddTailAppends) {
  fresh_world();
  list_head head, a, b;
  INIT_LIST_HEAD(&head);
  list_add_tail(&a, &head);
  list_add_tail(&b, &head);
  EXPECT_EQ(head.next, &a);
  EXPECT_EQ(a.next, &b);
  EXPECT_EQ(head.prev, &b);
}

TEST(List, DoubleDeleteIsListPoison1Corruption) {
  fresh_world();
  list_head head, a;
  INIT_LIST_HEAD(&head);
  list_add(&a, &head);
  list_del(&a);
  EXPECT_THROW(list_del(&a), Halt);
  ASSERT_TRUE(world().has_report);
  EXPECT_EQ(world().report.kind, ReportKind::list_corruption);
  EXPECT_NE(world().report.body.find("->next is LIST_POISON1"), std::string::npos) << world().report.body;
  EXPECT_EQ(world().report.title.rfind("BUG: corrupted list in ", 0), 0u);
}

TEST(List, DoubleAddIsCaught) {
  fresh_world();
  list_head head, a;
  INIT_LIST_HEAD(&head);
  list_add(&a, &head);
  EXPECT_THROW(list_add(&a, &head), Halt);
  EXPECT_NE(world().report.body.find("list_add double add"), std::string::npos) << world().report.body;
}

TEST(List, AddNextPrevMismatchIsCaught) {
  fresh_world();
  list_head head, a, b;
  INIT_LIST_HEAD(&head);
  list_add(&a, &head);
  a.prev = &a;  // corrupt: next->prev should be head
  EXPECT_THROW(list_add(&b, &head), Halt);
  EXPECT_NE(world().report.body.find("list_add corruption. next->prev should be prev"), std::string::npos)
      << world().report.body;
}

TEST(List, DelPrevNextMismatchIsCaught) {
  fresh_world();
  list_head head, a, b;
  INIT_LIST_HEAD(&head);
  list_add(&a, &head);
  list_add(&b, &head);
  head.next = &a;  // corrupt: b's prev (head) no longer points at b
  EXPECT_THROW(list_del(&b), Halt);
  EXPECT_NE(world().report.body.find("list_del corruption. prev->next should be"), std::string::npos)
      << world().report.body;
}

TEST(List, DebugListOffSkipsChecks) {
  fresh_world();
  world().oracles.debug_list = false;
  list_head head, a, b;
  INIT_LIST_HEAD(&head);
  list_add(&a, &head);
  a.prev = &a;
  EXPECT_NO_THROW(list_add(&b, &head));
  EXPECT_FALSE(world().has_report);
}

TEST(List, FollowingPoisonIsAGeneralProtectionFault) {
  fresh_world();
  list_head a;
  a.next = LIST_POISON1;
  a.prev = LIST_POISON2;
  list_head head;
  INIT_LIST_HEAD(&head);
  head.next = &a;
  head.prev = &a;
  // list_add(new, &a) reads a.next->prev: the poisoned pointer.
  list_head n;
  EXPECT_THROW(list_add(&n, &a), Halt);
  EXPECT_EQ(world().report.title.rfind("general protection fault in ", 0), 0u) << world().report.title;
  EXPECT_NE(world().report.body.find("non-canonical address 0xdead000000000108"), std::string::npos)
      << world().report.body;
}

}  // namespace
