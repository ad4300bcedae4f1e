// One JSON object per line over a unix stream socket, served in the Asio loop: QMP and
// the guest agent's virtio-serial port both speak it. Requests carry an id and wait for
// the reply with that id (with a timeout); everything else goes to listeners and to
// waiters registered BEFORE the action that triggers them (so a fast event is not lost
// between a reply and the next co_await). Every line in and out goes to a transcript.
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

 protected:
  // Which request a line answers (nullopt = not a reply).
  virtual std::optional<int64_t> reply_id_of(const json& m) const = 0;

 private:
  struct Pending {
    std::optional<json> reply;
    asio::steady_timer timer;
    explicit Pending(asio::any_io_executor ex) : timer(ex) {}
  };
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  void dispatch(const json& m);
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
};
}  // namespace pcirig
