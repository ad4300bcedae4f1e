// libFuzzer target: what the guest agent sends (agentlink/agent_channel.cpp over
// util/json_line_channel.cpp): the input is the byte stream on the virtio-serial
// port, one line at a time, while the host has commands in flight. A dying guest
// writes anything there. The read loop must end only by the peer hanging up
// (a message that throws out of it would leave the host deaf to the agent), and
// every command must have its answer (reply, or disconnected) by then.
#include <cstdint>
#include <string_view>

#include <spdlog/spdlog.h>

#include "agentlink/agent_channel.hpp"
#include "channel_peer.h"

using namespace pcirig;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz::ChannelPeer peer;
  LineLog transcript("/dev/null");
  AgentChannel agent(peer.ctx.get_executor(), &transcript);
  bool lost = false;
  agent.on_disconnect = [&](const std::string&) { lost = true; };
  agent.attach(std::move(peer.near));
  auto commands = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 4 && agent.connected(); i++) {
      auto r = co_await agent.command(i % 2 ? "stats" : "exec", json::object(), std::chrono::hours(1));
      if (r.ok) AgentStats::from_json(r.msg).to_json();
    }
  };
  peer.spawn("agent_message", commands());
  fuzz::ChannelPeer::for_each_line(in, [&](std::string_view line) {
    peer.send(line);
    // The stats path on its own too (session.cpp reads stats() after each line).
    json m = json::parse(line, nullptr, false);
    if (!m.is_discarded() && m.is_object()) AgentStats::from_json(m).to_json();
  });
  peer.hang_up();
  peer.check_ended("agent_message", lost, "the agent");
  return 0;
}
