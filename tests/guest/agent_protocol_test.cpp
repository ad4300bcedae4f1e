// The agent's protocol parsing and message building (docs/CONTRACTS.md).
#include <gtest/gtest.h>

#include "protocol.hpp"

using namespace pcirig::agent;

TEST(AgentProtocol, ParsesAFullWorkload) {
  auto r = parse_command(R"({"type":"workload","id":7,"seed":18446744073709551615,"readers":2,"resetters":1,)"
                         R"("rescanners":3,"binders":4,"vfio":5,"reset_interval_ms":20,"match":["0x1AF4:0x1041","8086:10d3"]})");
  ASSERT_TRUE(std::holds_alternative<Command>(r)) << std::get<ParseError>(r).message;
  const auto& c = std::get<Command>(r);
  EXPECT_EQ(c.id, 7);
  const auto& s = std::get<WorkloadCmd>(c.body).spec;
  EXPECT_EQ(s.seed, 18446744073709551615ULL);
  EXPECT_EQ(s.readers, 2);
  EXPECT_EQ(s.resetters, 1);
  EXPECT_EQ(s.rescanners, 3);
  EXPECT_EQ(s.binders, 4);
  EXPECT_EQ(s.vfio, 5);
  EXPECT_EQ(s.reset_interval_ms, 20);
  ASSERT_TRUE(s.match.has_value());
  EXPECT_EQ(*s.match, (std::vector<std::string>{"1af4:1041", "8086:10d3"}));
  EXPECT_EQ(s.total_threads(), 15);
}

TEST(AgentProtocol, MissingCountsAreZeroAndNullMatchIsAny) {
  auto r = parse_command(R"({"type":"workload","id":"a","seed":1,"readers":1,"match":null})");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  const auto& c = std::get<Command>(r);
  EXPECT_EQ(c.id, "a");  // string ids echo as strings
  const auto& s = std::get<WorkloadCmd>(c.body).spec;
  EXPECT_EQ(s.readers, 1);
  EXPECT_EQ(s.resetters + s.rescanners + s.binders + s.vfio, 0);
  EXPECT_FALSE(s.match.has_value());
}

TEST(AgentProtocol, ReaderShapeAndResetMethod) {
  auto d = std::get<WorkloadCmd>(std::get<Command>(parse_command(R"({"type":"workload","id":1})")).body).spec;
  EXPECT_EQ(d.read_sizes, (std::vector<int>{1, 2, 4, 0}));
  EXPECT_TRUE(d.pin_cpus);
  EXPECT_FALSE(d.read_targets_only);
  EXPECT_EQ(d.reset_method, "");
  auto s = std::get<WorkloadCmd>(std::get<Command>(parse_command(
      R"({"type":"workload","id":1,"read_sizes":[0,4],"pin_cpus":false,"readers_on":"targets","reset_method":"pm"})")).body).spec;
  EXPECT_EQ(s.read_sizes, (std::vector<int>{0, 4}));
  EXPECT_FALSE(s.pin_cpus);
  EXPECT_TRUE(s.read_targets_only);
  EXPECT_EQ(s.reset_method, "pm");
}

TEST(AgentProtocol, RefusesBadInputWithAReason) {
  struct Case { const char* line; const char* says; };
  const Case cases[] = {
      {"{not json", "malformed JSON"},
      {"[1,2]", "must be a JSON object"},
      {R"({"id":3})", "missing string field 'type'"},
      {R"({"type":"reboot","id":3})", "unknown command type 'reboot'"},
      {R"({"type":"workload","id":3,"readers":-1})", "'readers' out of range"},
      {R"({"type":"workload","id":3,"readers":"2"})", "'readers' must be an integer"},
      {R"({"type":"workload","id":3,"match":["1af4"]})", "is not \"vendor:device\""},
      {R"({"type":"workload","id":3,"seed":"x"})", "'seed' must be an integer"},
      {R"({"type":"workload","id":3,"read_sizes":[3]})", "'read_sizes' entries must be 1, 2, 4 or 0"},
      {R"({"type":"workload","id":3,"read_sizes":[]})", "non-empty array"},
      {R"({"type":"workload","id":3,"pin_cpus":1})", "'pin_cpus' must be a boolean"},
      {R"({"type":"workload","id":3,"readers_on":"some"})", "'readers_on' must be"},
      {R"({"type":"workload","id":3,"reset_method":"../x"})", "'reset_method' must be"},
      {R"({"type":"slot_power","id":3,"slot":"../../x","on":false})", "not a slot name"},
      {R"({"type":"slot_power","id":3,"slot":"1"})", "'on' must be true or false"},
      {R"({"type":"exec","id":3,"argv":[]})", "non-empty array"},
      {R"({"type":"exec","id":3,"argv":["ls",1]})", "non-empty array"},
  };
  for (const auto& c : cases) {
    auto r = parse_command(c.line);
    ASSERT_TRUE(std::holds_alternative<ParseError>(r)) << c.line;
    EXPECT_NE(std::get<ParseError>(r).message.find(c.says), std::string::npos)
        << c.line << " -> " << std::get<ParseError>(r).message;
  }
  // The id survives into the error so the host can match the reply.
  EXPECT_EQ(std::get<ParseError>(parse_command(R"({"type":"reboot","id":3})")).id, 3);
}

TEST(AgentProtocol, SlotPowerTakesNumberOrStringSlot) {
  auto a = std::get<Command>(parse_command(R"({"type":"slot_power","id":1,"slot":5,"on":false})"));
  EXPECT_EQ(std::get<SlotPowerCmd>(a.body).slot, "5");
  auto b = std::get<Command>(parse_command(R"({"type":"slot_power","id":1,"slot":"5","on":true})"));
  EXPECT_TRUE(std::get<SlotPowerCmd>(b.body).on);
}

TEST(AgentProtocol, MessagesAreOneLineWithTypeFirst) {
  PciDevice d{"0000:01:00.0", "0x1af4", "0x1041", "0x020000", std::string("virtio-pci"), std::nullopt};
  const std::string ready = serialise(ready_message("6.1.0-56-amd64", 2, {d}, 1.25));
  EXPECT_EQ(ready.rfind(R"({"type":"ready","kernel":"6.1.0-56-amd64","cpus":2,"devices":[{"bdf":"0000:01:00.0")", 0), 0u)
      << ready;
  EXPECT_NE(ready.find(R"("driver":"virtio-pci","slot":null)"), std::string::npos);
  EXPECT_NE(ready.find(R"(],"uptime":1.25})"), std::string::npos) << ready;
  EXPECT_EQ(ready.back(), '\n');
  EXPECT_EQ(ready.find('\n'), ready.size() - 1);

  const std::string ev = serialise(pci_event_message({PciEvent::Kind::remove, d}));
  EXPECT_EQ(ev.rfind(R"({"type":"pci","event":"remove","dev":{)", 0), 0u) << ev;

  EXPECT_EQ(serialise(reply_error(5, "no")), "{\"type\":\"reply\",\"id\":5,\"ok\":false,\"error\":\"no\"}\n");
  // Output from a program may be anything; it must not break the line protocol.
  const std::string log = serialise(log_message(std::string("a\nb\xff")));
  EXPECT_EQ(log.find('\n'), log.size() - 1) << log;
}

TEST(AgentProtocol, PingIsACommandWithItsId) {
  auto r = parse_command(R"({"type":"ping","id":12})");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  const auto& c = std::get<Command>(r);
  EXPECT_EQ(c.id, 12);
  EXPECT_TRUE(std::holds_alternative<PingCmd>(c.body));
}

TEST(AgentProtocol, SettleTakesABoundedLimit) {
  auto r = parse_command(R"({"type":"settle","id":3,"limit_ms":2500})");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  ASSERT_TRUE(std::holds_alternative<SettleCmd>(std::get<Command>(r).body));
  EXPECT_EQ(std::get<SettleCmd>(std::get<Command>(r).body).limit_ms, 2500);
  for (const char* bad : {R"({"type":"settle","id":3})", R"({"type":"settle","id":3,"limit_ms":-1})",
                          R"({"type":"settle","id":3,"limit_ms":"5"})", R"({"type":"settle","id":3,"limit_ms":1e12})"}) {
    auto e = parse_command(bad);
    ASSERT_TRUE(std::holds_alternative<ParseError>(e)) << bad;
    EXPECT_NE(std::get<ParseError>(e).message.find("limit_ms"), std::string::npos) << bad;
  }
}
