// One JSON object per line over a unix stream socket, served in the Asio loop: QMP and
// the guest agent's virtio-serial port both speak it. Requests carry an id and wait for
// the reply with that id (with a timeout); everything else goes to listeners and to
// waiters registered BEFORE the action that triggers them (so a fast event is not lost
// between a reply and the next co_await). Every line in and out goes to a transcript.
// The peer is hostile (a dying guest, or QEMU fed by one): a line is capped at 1 MiB,
// and a line that is not a JSON object of the protocol's shape, or a reply nobody asked
// for, is a protocol error: counted, reported, never dispatched, never the end of the loop.
#pragma once
#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/line_log.hpp"
#include "util/line_splitter.hpp"

namespace pcirig {
namespace asio = boost::asio;
using json = nlohmann::ordered_json;  // keeps "type" first on the wire
using std::chrono::milliseconds;

struct ChannelReply {
  bool ok = false;            // a reply arrived
  bool timed_out = false;
  bool disconnected = false;
  json msg;                   // the reply line
  double latency_s = 0;
};

// What a channel refused or cut (result.json "input").
struct InputCounts {
  uint64_t protocol_errors = 0;  // not JSON, not an object, wrong shape, unknown reply id
  uint64_t cut_lines = 0;        // lines over the cap
  uint64_t dropped_bytes = 0;    // their bytes past the cap
  uint64_t late_replies = 0;     // replies to a request that had already timed out
  nlohmann::json to_json() const;
};

class JsonLineChannel {
 public:
  struct Waiter {
    std::function<bool(const json&)> pred;
    std::optional<json> hit;
    std::optional<asio::steady_timer> timer;
    bool done = false;
  };
  using WaiterPtr = std::shared_ptr<Waiter>;

  JsonLineChannel(asio::any_io_executor ex, std::string name, LineLog* transcript);
  virtual ~JsonLineChannel() = default;

  void attach(asio::local::stream_protocol::socket sock);  // starts the read loop
  bool connected() const { return connected_; }
  void close();

  // Send msg (must carry "id" where the peer expects it) and wait for reply_id_of(reply) == id.
  asio::awaitable<ChannelReply> request(json msg, int64_t id, milliseconds timeout);
  void send(const json& msg);  // fire and forget

  // Register now, wait later: the message may arrive before wait() is reached.
  WaiterPtr expect(std::function<bool(const json&)> pred);
  asio::awaitable<std::optional<json>> wait(WaiterPtr w, milliseconds timeout);
  void cancel(WaiterPtr w);

  int add_listener(std::function<void(const json&)> fn);
  void remove_listener(int handle);
  std::function<void(const std::string& why)> on_disconnect;
  double last_message_at() const { return last_rx_; }  // mono seconds, 0 = never

  // Each refused or cut line: {"ch", "kind": "protocol_error"|"line_cut"|"late_reply",
  // "error", "line": its first 200 bytes}. Counted in input_counts() either way.
  std::function<void(const nlohmann::json& detail)> on_input_problem;
  const InputCounts& input_counts() const { return counts_; }
  static constexpr size_t kMaxLine = LineSplitter::kDefaultMaxLine;
  void set_max_line(size_t bytes) { splitter_.set_max_line(bytes); }  // before attach()

 protected:
  // Which request a line answers (nullopt = not a reply).
  virtual std::optional<int64_t> reply_id_of(const json& m) const = 0;
  // What is wrong with a parsed object for this protocol (nullopt = fine to dispatch).
  virtual std::optional<std::string> shape_error(const json& m) const = 0;

 private:
  struct Pending {
    std::optional<json> reply;
    asio::steady_timer timer;
    explicit Pending(asio::any_io_executor ex) : timer(ex) {}
  };
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  void on_line(std::string_view line, bool cut);
  std::optional<std::string> dispatch(const json& m);  // error: a reply to an id never sent
  void problem(const char* kind, const std::string& error, std::string_view line);
  void lost(const std::string& why);

  asio::any_io_executor ex_;
  std::string name_;
  LineLog* transcript_;
  std::optional<asio::local::stream_protocol::socket> sock_;
  bool connected_ = false, writing_ = false;
  std::deque<std::string> outq_;
  std::map<int64_t, std::shared_ptr<Pending>> pending_;
  std::vector<WaiterPtr> waiters_;
  std::map<int, std::function<void(const json&)>> listeners_;
  int next_listener_ = 1;
  double last_rx_ = 0;
  int64_t max_id_sent_ = 0;  // ids above it (or below 1) were never ours
  LineSplitter splitter_;
  InputCounts counts_;
  uint64_t cut_kept_bytes_ = 0;
};
}  // namespace pcirig
