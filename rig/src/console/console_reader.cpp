#include "console/console_reader.hpp"

#include <fmt/format.h>

#include <array>

#include "console/crash_title.hpp"
#include "util/clock.hpp"

namespace pcirig {

void ConsoleReader::attach(asio::local::stream_protocol::socket sock) {
  sock_.emplace(std::move(sock));
  asio::co_spawn(ex_, read_loop(), asio::detached);
}

std::string ConsoleReader::text() const {
  std::string t = text_;
  t.append(splitter_.partial());
  return t;
}

nlohmann::json ConsoleReader::input_counts() const {
  return {{"bytes", received_}, {"cut_lines", splitter_.cut_lines()}, {"dropped_bytes", splitter_.dropped_bytes()},
          {"trimmed_bytes", trimmed_}, {"log_dropped_bytes", log_dropped_}};
}

void ConsoleReader::feed(std::string_view bytes) {
  last_rx_ = mono_seconds();
  received_ += bytes.size();
  if (log_) {
    uint64_t written = received_ - bytes.size() - log_dropped_;
    size_t room = written >= kMaxLogBytes ? 0 : size_t(std::min<uint64_t>(kMaxLogBytes - written, bytes.size()));
    if (room) log_->write(bytes.substr(0, room));
    if (room < bytes.size()) {
      if (log_dropped_ == 0 && on_input_problem)
        on_input_problem({{"ch", "console"}, {"kind", "log_full"},
                          {"error", fmt::format("console.log reached {} MiB: further output is only counted", kMaxLogBytes >> 20)}});
      log_dropped_ += bytes.size() - room;
    }
  }
  splitter_.feed(bytes, [this](std::string_view line, bool cut) { keep_line(line, cut); });
}

void ConsoleReader::keep_line(std::string_view line, bool cut) {
  if (cut && on_input_problem)
    on_input_problem({{"ch", "console"}, {"kind", "line_cut"}, {"line", std::string(line.substr(0, 200))},
                      {"error", fmt::format("line longer than {} bytes: the window keeps its head only", splitter_.max_line())}});
  if (on_line) on_line(line);
  bool opens = is_report_start(line);
  if (opens && !report_in_window_) {
    // The parser reads forward from the first report: keep a little before it (context
    // for a reader of the report), the rest of the window is for what follows.
    if (text_.size() > kContextBefore) {
      size_t cut_at = text_.find('\n', text_.size() - kContextBefore);
      cut_at = cut_at == std::string::npos ? text_.size() : cut_at + 1;
      text_.erase(0, cut_at);
      trimmed_ += cut_at;
    }
    report_in_window_ = true;
  }
  if (text_.size() + line.size() + 1 > kWindow) {
    if (report_in_window_) {
      trimmed_ += line.size() + 1;  // the report and 8 MiB after it are all the parser needs
    } else {
      // Keep the newer half, from a line start.
      size_t cut_at = text_.find('\n', text_.size() - kWindow / 2);
      cut_at = cut_at == std::string::npos ? text_.size() : cut_at + 1;
      text_.erase(0, cut_at);
      trimmed_ += cut_at;
    }
  }
  if (text_.size() + line.size() + 1 <= kWindow) {
    text_.append(line);
    text_.push_back('\n');
  }
  if (opens) {
    reports_++;
    if (on_report_start) on_report_start(std::string(line));
  }
}

asio::awaitable<void> ConsoleReader::read_loop() {
  std::array<char, 65536> buf;
  for (;;) {
    boost::system::error_code ec;
    size_t n = co_await sock_->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0) feed(std::string_view(buf.data(), n));
    if (ec) {
      eof_ = true;
      if (on_eof) on_eof();
      co_return;
    }
  }
}
}  // namespace pcirig
