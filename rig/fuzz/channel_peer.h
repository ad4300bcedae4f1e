// For the channel targets: the far end of a JSON-lines channel (as QEMU or the
// guest agent would hold it), in one io_context run by hand. send() writes
// bytes and runs every handler that became ready, so each line is read and
// dispatched before the next is written: one input, one order, no threads.
#pragma once
#include <algorithm>
#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace pcirig::fuzz {
namespace asio = boost::asio;

struct ChannelPeer {
  asio::io_context ctx;
  asio::local::stream_protocol::socket near{ctx}, far{ctx};

  ChannelPeer() { asio::local::connect_pair(near, far); }

  void settle() {
    while (ctx.poll() > 0) {
    }
  }
  // Writes in pieces the socket buffer holds, letting the reader drain between them.
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      size_t n = std::min<size_t>(bytes.size(), 32 * 1024);
      asio::write(far, asio::buffer(bytes.data(), n));
      bytes.remove_prefix(n);
      settle();
    }
  }
  // Each line of the input, newline kept, the way a peer writes them.
  template <typename Fn>
  static void for_each_line(std::string_view in, Fn fn) {
    while (!in.empty()) {
      size_t nl = in.find('\n');
      size_t n = nl == std::string_view::npos ? in.size() : nl + 1;
      fn(in.substr(0, n));
      in.remove_prefix(n);
    }
  }
  void hang_up() {
    far.close();
    settle();
  }

  // The host's side of the exchange: a command that throws is a finding.
  void spawn(const char* target, asio::awaitable<void> host) {
    asio::co_spawn(ctx, std::move(host), [this, target](std::exception_ptr e) {
      host_done = true;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::fprintf(stderr, "%s: a command threw: %s\n", target, x.what());
      }
      std::abort();
    });
    settle();
  }
  // After hang_up(): the read loop must have ended by the hang-up (not by a
  // message that threw out of it), and nothing may still wait.
  void check_ended(const char* target, bool lost, const char* peer_name) const {
    if (!lost) {
      std::fprintf(stderr, "%s: the read loop ended without a disconnect (a message threw out of it)\n", target);
      std::abort();
    }
    if (!host_done) {
      std::fprintf(stderr, "%s: a command still waits after %s hung up\n", target, peer_name);
      std::abort();
    }
  }
  bool host_done = false;
};
}  // namespace pcirig::fuzz
