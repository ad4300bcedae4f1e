#include "util/json_line_channel.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>

#include "util/clock.hpp"

namespace pcirig {

JsonLineChannel::JsonLineChannel(asio::any_io_executor ex, std::string name, LineLog* transcript)
    : ex_(std::move(ex)), name_(std::move(name)), transcript_(transcript) {}

void JsonLineChannel::attach(asio::local::stream_protocol::socket sock) {
  sock_.emplace(std::move(sock));
  connected_ = true;
  asio::co_spawn(ex_, read_loop(), asio::detached);
}

void JsonLineChannel::close() {
  if (sock_ && sock_->is_open()) {
    boost::system::error_code ec;
    sock_->close(ec);
  }
}

void JsonLineChannel::send(const json& msg) {
  std::string line = msg.dump(-1, ' ', false, json::error_handler_t::replace);
  if (transcript_) transcript_->json_line(json{{"t", mono_seconds()}, {"dir", "out"}, {"ch", name_}, {"msg", msg}});
  if (!connected_) return;
  outq_.push_back(line + "\n");
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(ex_, write_loop(), asio::detached);
  }
}

asio::awaitable<void> JsonLineChannel::write_loop() {
  while (!outq_.empty() && connected_) {
    std::string line = std::move(outq_.front());
    outq_.pop_front();
    boost::system::error_code ec;
    co_await asio::async_write(*sock_, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      lost("write: " + ec.message());
      break;
    }
  }
  writing_ = false;
}

nlohmann::json InputCounts::to_json() const {
  return {{"protocol_errors", protocol_errors}, {"cut_lines", cut_lines}, {"dropped_bytes", dropped_bytes},
          {"late_replies", late_replies}};
}

asio::awaitable<void> JsonLineChannel::read_loop() {
  std::array<char, 65536> buf;
  for (;;) {
    boost::system::error_code ec;
    size_t n = co_await sock_->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0) {
      splitter_.feed(std::string_view(buf.data(), n), [this](std::string_view l, bool cut) { on_line(l, cut); });
      counts_.dropped_bytes = cut_kept_bytes_ + splitter_.dropped_bytes();
    }
    if (ec) {
      lost(ec == asio::error::eof ? "closed by peer" : ec.message());
      co_return;
    }
  }
}

void JsonLineChannel::problem(const char* kind, const std::string& error, std::string_view line) {
  if (on_input_problem) {
    // The line's head only (the journal writer replaces invalid UTF-8).
    nlohmann::json d = {{"ch", name_}, {"kind", kind}, {"error", error},
                        {"line", std::string(line.substr(0, 200))}};
    on_input_problem(d);
  }
}

void JsonLineChannel::on_line(std::string_view line, bool cut) {
  last_rx_ = mono_seconds();
  if (cut) {
    counts_.cut_lines++;
    cut_kept_bytes_ += line.size();  // a cut line is dropped whole: its head is no message either
    const size_t cap = splitter_.max_line();
    if (transcript_) transcript_->json_line(json{{"t", last_rx_}, {"dir", "in"}, {"ch", name_}, {"cut_at", cap}});
    problem("line_cut", fmt::format("line longer than {} bytes: the rest up to its newline is dropped", cap), line);
    return;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  json m = json::parse(line, nullptr, false);
  if (m.is_discarded()) {
    if (transcript_) transcript_->json_line(json{{"t", last_rx_}, {"dir", "in"}, {"ch", name_}, {"raw", std::string(line)}});
    counts_.protocol_errors++;
    problem("protocol_error", "not JSON", line);
    return;
  }
  if (transcript_) transcript_->json_line(json{{"t", last_rx_}, {"dir", "in"}, {"ch", name_}, {"msg", m}});
  std::optional<std::string> bad = m.is_object() ? shape_error(m) : std::optional<std::string>("not a JSON object");
  if (!bad) {
    try {
      if (!(bad = dispatch(m))) return;
    } catch (const nlohmann::json::exception& e) {
      // A shape the check above let through and a handler could not take: still the peer's.
      bad = std::string("unhandled shape: ") + e.what();
    }
  }
  counts_.protocol_errors++;
  problem("protocol_error", *bad, line);
}

std::optional<std::string> JsonLineChannel::dispatch(const json& m) {
  if (auto id = reply_id_of(m)) {
    if (auto it = pending_.find(*id); it != pending_.end()) {
      it->second->reply = m;
      it->second->timer.cancel();
      pending_.erase(it);
    } else if (*id >= 1 && *id <= max_id_sent_) {
      counts_.late_replies++;
      problem("late_reply", fmt::format("reply to request {} which is no longer waited for", *id), m.dump());
    } else {
      return fmt::format("reply to id {}, which was never sent", *id);
    }
    return std::nullopt;
  }
  for (auto& w : waiters_)
    if (!w->done && !w->hit && w->pred(m)) {
      w->hit = m;
      if (w->timer) w->timer->cancel();
    }
  std::erase_if(waiters_, [](const WaiterPtr& w) { return w->done || w->hit; });
  // Copy: a listener may add or remove listeners.
  auto ls = listeners_;
  for (auto& [h, fn] : ls) fn(m);
  return std::nullopt;
}

void JsonLineChannel::lost(const std::string& why) {
  if (!connected_) return;
  connected_ = false;
  spdlog::debug("{}: connection lost: {}", name_, why);
  for (auto& [id, p] : pending_) p->timer.cancel();
  pending_.clear();
  for (auto& w : waiters_)
    if (w->timer) w->timer->cancel();
  if (on_disconnect) on_disconnect(why);
}

asio::awaitable<ChannelReply> JsonLineChannel::request(json msg, int64_t id, milliseconds timeout) {
  ChannelReply r;
  if (!connected_) {
    r.disconnected = true;
    co_return r;
  }
  auto p = std::make_shared<Pending>(ex_);
  pending_[id] = p;
  max_id_sent_ = std::max(max_id_sent_, id);
  double t0 = mono_seconds();
  send(msg);
  p->timer.expires_after(timeout);
  boost::system::error_code ec;
  co_await p->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  r.latency_s = mono_seconds() - t0;
  if (p->reply) {
    r.ok = true;
    r.msg = std::move(*p->reply);
  } else if (!connected_) {
    r.disconnected = true;
  } else {
    r.timed_out = true;
    pending_.erase(id);
  }
  co_return r;
}

JsonLineChannel::WaiterPtr JsonLineChannel::expect(std::function<bool(const json&)> pred) {
  auto w = std::make_shared<Waiter>();
  w->pred = std::move(pred);
  waiters_.push_back(w);
  return w;
}

void JsonLineChannel::cancel(WaiterPtr w) {
  w->done = true;
  if (w->timer) w->timer->cancel();
}

asio::awaitable<std::optional<json>> JsonLineChannel::wait(WaiterPtr w, milliseconds timeout) {
  if (!w->hit && !w->done && connected_) {
    w->timer.emplace(ex_);
    w->timer->expires_after(timeout);
    boost::system::error_code ec;
    co_await w->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  w->done = true;
  co_return w->hit;
}

int JsonLineChannel::add_listener(std::function<void(const json&)> fn) {
  listeners_[next_listener_] = std::move(fn);
  return next_listener_++;
}
void JsonLineChannel::remove_listener(int h) { listeners_.erase(h); }

}  // namespace pcirig
