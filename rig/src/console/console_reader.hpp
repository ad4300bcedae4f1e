// The guest's serial console (ttyS0 via a QEMU socket chardev): every byte to
// console.log as it arrives, the text kept for the crash parser, report openings
// noticed live.
#pragma once
#include <boost/asio.hpp>
#include <functional>
#include <string>

#include "util/line_log.hpp"

namespace pcirig {
namespace asio = boost::asio;

class ConsoleReader {
 public:
  ConsoleReader(asio::any_io_executor ex, LineLog* log) : ex_(std::move(ex)), log_(log) {}
  void attach(asio::local::stream_protocol::socket sock);

  const std::string& text() const { return text_; }
  bool eof() const { return eof_; }
  double last_output_at() const { return last_rx_; }
  int reports_seen() const { return reports_; }
  std::function<void(const std::string& line)> on_report_start;  // a line that opens a kernel report
  std::function<void()> on_eof;

 private:
  asio::awaitable<void> read_loop();
  asio::any_io_executor ex_;
  LineLog* log_;
  std::optional<asio::local::stream_protocol::socket> sock_;
  std::string text_;
  size_t scanned_ = 0;  // text_ before this offset has been checked for report openings
  bool eof_ = false;
  double last_rx_ = 0;
  int reports_ = 0;
};
}  // namespace pcirig
