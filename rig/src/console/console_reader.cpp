#include "console/console_reader.hpp"

#include <array>

#include "console/crash_title.hpp"
#include "util/clock.hpp"

namespace pcirig {

void ConsoleReader::attach(asio::local::stream_protocol::socket sock) {
  sock_.emplace(std::move(sock));
  asio::co_spawn(ex_, read_loop(), asio::detached);
}

asio::awaitable<void> ConsoleReader::read_loop() {
  std::array<char, 8192> buf;
  // Keep at most this much in memory; console.log has everything.
  constexpr size_t kMaxText = 64u << 20;
  for (;;) {
    boost::system::error_code ec;
    size_t n = co_await sock_->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0) {
      last_rx_ = mono_seconds();
      if (log_) log_->write(std::string_view(buf.data(), n));
      if (text_.size() < kMaxText) text_.append(buf.data(), n);
      for (size_t nl; (nl = text_.find('\n', scanned_)) != std::string::npos; scanned_ = nl + 1) {
        std::string_view line(text_.data() + scanned_, nl - scanned_);
        if (is_report_start(line)) {
          reports_++;
          if (on_report_start) on_report_start(std::string(line));
        }
      }
    }
    if (ec) {
      eof_ = true;
      if (on_eof) on_eof();
      co_return;
    }
  }
}
}  // namespace pcirig
