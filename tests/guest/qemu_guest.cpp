#include "qemu_guest.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pcirig::test {

using Clock = std::chrono::steady_clock;

std::filesystem::path image_json_path(const std::string& name) {
  std::filesystem::path cache;
  if (const char* c = std::getenv("PCIRIG_CACHE"); c && *c) cache = c;
  else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) cache = std::filesystem::path(x) / "pcirig";
  else cache = std::filesystem::path(std::getenv("HOME") ? std::getenv("HOME") : "/root") / ".cache/pcirig";
  return cache / "images" / name / "image.json";
}

QemuGuest::QemuGuest(const GuestOptions& opt) {
  // PCIRIG_GUEST_IMAGE runs the same tests on another image (fixed, regression).
  const char* env_image = std::getenv("PCIRIG_GUEST_IMAGE");
  const auto ij = image_json_path(env_image && *env_image ? env_image : opt.image);
  std::ifstream in(ij);
  if (!in) throw std::runtime_error("no image " + ij.string() + ": run guest-images/build.sh --kernel " + opt.image);
  image_ = nlohmann::json::parse(in);

  // mkdtemp: QEMU listens on a socket in it; no other user can claim the name first.
  std::string tmpl = (std::filesystem::temp_directory_path() / "pcirig-guest-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  dir_ = tmpl;
  const auto sock = (dir_ / "agent.sock").string();
  // The accelerator: TCG is what runs on this project's machines (their KVM is
  // a broken nested one), single-threaded because QEMU 7.2's multi-threaded
  // TCG aborts under concurrent device resets (docs/rig.md, "Why thread=single"):
  // a QEMU crash must not fail a test of the guest side. PCIRIG_ACCEL overrides.
  const char* accel = std::getenv("PCIRIG_ACCEL");
  std::vector<std::string> args = {
      "qemu-system-x86_64", "-machine", "q35", "-accel", accel && *accel ? accel : "tcg,thread=single",
      "-smp", std::to_string(opt.cpus), "-m", std::to_string(opt.memory_mb),
      "-display", "none", "-vga", "none", "-nic", "none", "-no-reboot", "-monitor", "none",
      "-kernel", image_["kernel"].get<std::string>(), "-initrd", image_["initramfs"].get<std::string>(),
      "-append", "console=ttyS0 panic=-1 oops=panic panic_on_warn=1 " + opt.extra_append,
      "-serial", "file:" + (dir_ / "console.log").string(),
      "-device", "virtio-serial-pci,id=agentbus",
      "-chardev", "socket,id=agent,path=" + sock + ",server=on,wait=off",
      "-device", "virtserialport,chardev=agent,name=pcirig.0"};
  args.insert(args.end(), opt.extra_args.begin(), opt.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const auto qemu_log = (dir_ / "qemu.log").string();
  posix_spawn_file_actions_addopen(&fa, 1, qemu_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  int err = posix_spawnp(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err) throw std::runtime_error(std::string("cannot start qemu-system-x86_64: ") + std::strerror(err));

  // QEMU creates the socket before the guest runs; give it a few seconds.
  auto end = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < end) {
    sock_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, sock.c_str(), sizeof sa.sun_path - 1);
    if (::connect(sock_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return;
    ::close(sock_);
    sock_ = -1;
    if (!qemu_alive()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream ql(qemu_log);
  std::stringstream ss;
  ss << ql.rdbuf();
  throw std::runtime_error("cannot connect to the agent socket " + sock + "; qemu said: " + ss.str());
}

QemuGuest::~QemuGuest() {
  if (sock_ >= 0) ::close(sock_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  if (!std::getenv("PCIRIG_KEEP_GUEST_DIR")) std::filesystem::remove_all(dir_, ec);
}

bool QemuGuest::qemu_alive() {
  if (pid_ <= 0) return false;
  int st;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::optional<nlohmann::json> QemuGuest::next_message(std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  for (;;) {
    auto nl = inbuf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = inbuf_.substr(0, nl);
      inbuf_.erase(0, nl + 1);
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) throw std::runtime_error("agent sent a line that is not JSON: " + line);
      return j;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{sock_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(sock_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    inbuf_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<nlohmann::json> QemuGuest::wait_for(const std::string& type, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = next_message(left);
    if (!m) return std::nullopt;
    if ((*m)["type"] == type) return m;
  }
}

void QemuGuest::send(const nlohmann::json& command) {
  std::string line = command.dump() + "\n";
  if (::write(sock_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("write to the agent socket failed");
}

std::string QemuGuest::console() const {
  std::ifstream in(dir_ / "console.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string QemuGuest::console_tail(std::size_t bytes) const {
  auto s = console();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace pcirig::test
