// The guest's serial console (ttyS0 via a QEMU socket chardev): bytes to console.log as
// they arrive (up to kMaxLogBytes), report openings noticed live, and a bounded window
// of the text kept for the crash parser: lines cut at 1 MiB, at most kWindow bytes, and
// once a report has opened, the window starts just before it (the parser reads forward
// from the first report). What is cut or not written is counted and reported.
#pragma once
#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/line_log.hpp"
#include "util/line_splitter.hpp"

namespace pcirig {
namespace asio = boost::asio;

class ConsoleReader {
 public:
  static constexpr size_t kWindow = 8u << 20;
  static constexpr uint64_t kMaxLogBytes = 256ull << 20;
  static constexpr size_t kContextBefore = 64u << 10;  // kept before the first report

  ConsoleReader(asio::any_io_executor ex, LineLog* log) : ex_(std::move(ex)), log_(log) {}
  void attach(asio::local::stream_protocol::socket sock);

  std::string text() const;  // the window, with the line still being written
  bool eof() const { return eof_; }
  double last_output_at() const { return last_rx_; }
  int reports_seen() const { return reports_; }
  uint64_t bytes_received() const { return received_; }
  // {"cut_lines", "dropped_bytes" (past the line cap; still in console.log),
  //  "trimmed_bytes" (left the window; still in console.log), "log_dropped_bytes" (past
  //  console.log's cap: lost), "bytes"}
  nlohmann::json input_counts() const;
  std::function<void(const std::string& line)> on_report_start;  // a line that opens a kernel report
  std::function<void()> on_eof;
  std::function<void(std::string_view line)> on_line;  // every line as kept (the hang watch reads its dumps)
  // {"ch":"console","kind":"line_cut"|"log_full","error":...}: once per cut line, once for the log cap.
  std::function<void(const nlohmann::json& detail)> on_input_problem;

  void feed(std::string_view bytes);  // what read_loop does with each read; public for tests
  void set_max_line(size_t bytes) { splitter_.set_max_line(bytes); }  // before attach()

 private:
  asio::awaitable<void> read_loop();
  void keep_line(std::string_view line, bool cut);
  asio::any_io_executor ex_;
  LineLog* log_;
  std::optional<asio::local::stream_protocol::socket> sock_;
  LineSplitter splitter_;
  std::string text_;
  bool report_in_window_ = false;
  bool eof_ = false;
  double last_rx_ = 0;
  int reports_ = 0;
  uint64_t received_ = 0, trimmed_ = 0, log_dropped_ = 0;
};
}  // namespace pcirig
