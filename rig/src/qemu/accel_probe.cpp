#include "qemu/accel_probe.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
#include <array>

#include "images/kernel_image.hpp"
#include "qemu/qemu_process.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;
namespace pcirig {

nlohmann::json AccelChoice::to_json() const {
  return {{"accel", accel}, {"reason", reason}, {"probe_seconds", probe_seconds}};
}

double accel_time_scale(const std::string& accel) { return accel == "kvm" ? 1.0 : 4.0; }

double probe_boot(const std::string& accel, const std::filesystem::path& kernel, const std::filesystem::path& initramfs,
                  double deadline_s, std::string& reason) {
  asio::io_context ctx;
  asio::readable_pipe out(ctx), err(ctx);
  std::vector<std::string> args = {"-machine", "q35", "-accel", accel == "kvm" ? "kvm" : "tcg,thread=single"};
  if (accel == "kvm") args.insert(args.end(), {"-cpu", "host"});
  args.insert(args.end(), {"-smp", "1", "-m", "512", "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                           "-nic", "none", "-serial", "stdio", "-kernel", kernel.string(), "-initrd",
                           initramfs.string(), "-append", "console=ttyS0 panic=-1 rdinit=/bin/false"});
  auto exe = bp2::environment::find_executable("qemu-system-x86_64");
  if (exe.empty()) {
    reason = "qemu-system-x86_64 not found";
    return -1;
  }
  double t0 = mono_seconds();
  std::optional<bp2::process> proc;
  try {
    proc.emplace(ctx, exe, args, bp2::process_stdio{nullptr, out, err});
  } catch (const std::exception& e) {
    reason = fmt::format("cannot start QEMU: {}", e.what());
    return -1;
  }
  std::string text, errtext;
  double result = -1;
  std::array<char, 1024> ebuf;
  std::function<void(boost::system::error_code, size_t)> on_err = [&](boost::system::error_code ec, size_t n) {
    errtext.append(ebuf.data(), n);
    if (!ec) err.async_read_some(asio::buffer(ebuf), on_err);
  };
  err.async_read_some(asio::buffer(ebuf), on_err);
  std::array<char, 4096> buf;
  asio::steady_timer deadline(ctx, std::chrono::milliseconds(int64_t(deadline_s * 1000)));
  bool done = false;
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec || done) return;
    done = true;
    reason = fmt::format("no user space within {:.1f} s", deadline_s);
    boost::system::error_code ig;
    proc->terminate(ig);
    out.close(ig);
  });
  std::function<void(boost::system::error_code, size_t)> on_read = [&](boost::system::error_code ec, size_t n) {
    text.append(buf.data(), n);
    // "Run /init" (or the rdinit we asked for) means the kernel booted to user space.
    if (!done && (text.find("Run /bin/false") != std::string::npos || text.find("Freeing unused") != std::string::npos)) {
      done = true;
      result = mono_seconds() - t0;
      reason = fmt::format("reached user space in {:.2f} s", result);
      deadline.cancel();
      boost::system::error_code ig;
      proc->terminate(ig);
      return;
    }
    if (ec) {
      if (!done) {
        done = true;
        // stderr may still be draining: report it after the loop.
        reason = "QEMU exited early";
        deadline.cancel();
      }
      return;
    }
    out.async_read_some(asio::buffer(buf), on_read);
  };
  out.async_read_some(asio::buffer(buf), on_read);
  ctx.run();
  if (result < 0 && reason == "QEMU exited early") {
    std::string tail = errtext.size() > 300 ? errtext.substr(errtext.size() - 300) : errtext;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    reason += ": " + tail;
  }
  return result;
}

AccelChoice choose_accel(const std::string& requested, const std::filesystem::path& kernel,
                         const std::filesystem::path& initramfs, double deadline_s, bool use_cache) {
  AccelChoice c;
  if (requested == "tcg" || requested == "kvm") {
    c.accel = requested;
    c.reason = "requested";
    return c;
  }
  int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    c.accel = "tcg";
    c.reason = "no usable /dev/kvm";
    return c;
  }
  ::close(fd);
  std::string key = fmt::format("{}|{}|{}", qemu_version("qemu-system-x86_64"), kernel.string(),
                                std::filesystem::exists(kernel) ? std::filesystem::file_size(kernel) : 0);
  auto cache = cache_dir() / "accel-probe.json";
  if (use_cache && std::filesystem::exists(cache)) {
    auto j = nlohmann::json::parse(read_file_text(cache), nullptr, false);
    if (!j.is_discarded() && j.value("key", "") == key) {
      c.accel = j.value("accel", "tcg");
      c.reason = "cached probe: " + j.value("reason", "");
      return c;
    }
  }
  std::string why;
  double secs = probe_boot("kvm", kernel, initramfs, deadline_s, why);
  c.probe_seconds = secs > 0 ? secs : deadline_s;
  c.accel = secs > 0 ? "kvm" : "tcg";
  c.reason = "KVM probe: " + why;
  std::filesystem::create_directories(cache.parent_path());
  write_file(cache, nlohmann::json{{"key", key}, {"accel", c.accel}, {"reason", why}, {"probe_seconds", secs}}.dump() + "\n");
  return c;
}
}  // namespace pcirig
