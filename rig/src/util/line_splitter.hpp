// Splits a byte stream from the guest into lines with a bound on what it holds: a line
// longer than the cap is cut there, the rest of it (up to its newline) is dropped and
// counted. A guest that never sends a newline costs the cap, not its output.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace pcirig {

class LineSplitter {
 public:
  static constexpr size_t kDefaultMaxLine = 1u << 20;
  explicit LineSplitter(size_t max_line = kDefaultMaxLine) : max_(max_line) {}

  // line: without its '\n' (or its first max_line bytes when cut); cut: the line was
  // longer than max_line. on_line is called for a cut line once, when its newline
  // (or the cap) is reached.
  using OnLine = std::function<void(std::string_view line, bool cut)>;
  void feed(std::string_view bytes, const OnLine& on_line);  // below: header-only

  void set_max_line(size_t max_line) { max_ = max_line; }  // before the first feed
  size_t max_line() const { return max_; }
  std::string_view partial() const { return buf_; }  // bytes of the line not ended yet
  uint64_t cut_lines() const { return cut_lines_; }
  uint64_t dropped_bytes() const { return dropped_; }  // bytes past the cap, never kept

 private:
  size_t max_;
  std::string buf_;
  bool discarding_ = false;  // past the cap of the current line: drop until '\n'
  uint64_t cut_lines_ = 0, dropped_ = 0;
};

inline void LineSplitter::feed(std::string_view bytes, const OnLine& on_line) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view chunk = bytes.substr(0, nl);
    bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
    if (discarding_) {
      dropped_ += chunk.size();
    } else {
      size_t room = max_ - buf_.size();
      if (chunk.size() > room) {
        buf_.append(chunk.substr(0, room));
        dropped_ += chunk.size() - room;
        cut_lines_++;
        discarding_ = true;
        on_line(buf_, true);
        buf_.clear();
        buf_.shrink_to_fit();
      } else {
        buf_.append(chunk);
      }
    }
    if (nl == std::string_view::npos) break;
    if (!discarding_) on_line(buf_, false);
    discarding_ = false;
    buf_.clear();
  }
}
}  // namespace pcirig
