// The host's readers against a hostile peer, over real unix socket pairs: the agent
// channel, QMP and the console. A line without end costs a bounded buffer (the
// process's peak RSS is checked and printed); lines of the wrong shape are counted and
// journaled, and the read loop goes on to the next good line.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agentlink/agent_channel.hpp"
#include "console/console_reader.hpp"
#include "qmp/qmp_client.hpp"
#include "report/input_journal.hpp"
#include "report/run_dir.hpp"
#include "util/line_splitter.hpp"
#include "util/private_dir.hpp"

using namespace pcirig;
namespace fs = std::filesystem;
using local = asio::local::stream_protocol;

namespace {
constexpr size_t kFlood = 100'000'000;  // bytes without a newline
const std::string kAwait = "<await a line>";

fs::path tmpdir() { return make_private_dir(fs::temp_directory_path(), "pcirig-hostile-"); }

// Peak and current resident set of this process, in MiB (/proc/self/status).
std::pair<double, double> rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  double hwm = -1, rss = -1;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024;
  }
  return {hwm, rss};
}

// The far end writes from a thread of its own (blocking writes), the reader runs in ctx.
struct Pair {
  asio::io_context ctx;
  local::socket near{ctx}, far{ctx};
  std::thread writer;
  Pair() { asio::local::connect_pair(near, far); }
  ~Pair() {
    if (writer.joinable()) writer.join();
  }
  // Write `flood` bytes of 'x' in 64 KiB pieces, then each of `lines` (kAwait: wait for
  // a line from the reader first, as a peer answering a request does); then hang up.
  void write_then_close(size_t flood, std::vector<std::string> lines) {
    writer = std::thread([this, flood, lines] {
      std::string chunk(65536, 'x');
      boost::system::error_code ec;
      for (size_t left = flood; left > 0 && !ec;) {
        size_t n = std::min(left, chunk.size());
        asio::write(far, asio::buffer(chunk.data(), n), ec);
        left -= n;
      }
      std::string in;
      for (auto& l : lines) {
        if (l == kAwait) asio::read_until(far, asio::dynamic_buffer(in), '\n', ec);
        else asio::write(far, asio::buffer(l), ec);
      }
      far.close(ec);
    });
  }
  void run() {
    ctx.run_for(std::chrono::seconds(120));
  }
};

std::string stats_line(int reads) {
  return R"({"type":"stats","t":2.5,"config_reads":)" + std::to_string(reads) + "}\n";
}
}  // namespace

TEST(LineSplitter, CutsAtTheCapAndDropsTheRestOfTheLine) {
  LineSplitter s(8);
  std::vector<std::pair<std::string, bool>> got;
  auto on = [&](std::string_view l, bool cut) { got.emplace_back(std::string(l), cut); };
  s.feed("abc\nlonger than eight", on);
  s.feed(" bytes\n12345678\nxy", on);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_pair(std::string("abc"), false));
  EXPECT_EQ(got[1], std::make_pair(std::string("longer t"), true));
  EXPECT_EQ(got[2], std::make_pair(std::string("12345678"), false));  // exactly the cap: whole
  EXPECT_EQ(s.partial(), "xy");
  EXPECT_EQ(s.cut_lines(), 1u);
  EXPECT_EQ(s.dropped_bytes(), std::string("han eight bytes").size());
}

TEST(PrivateDir, UnguessableOwnedAndClosedToOthers) {
  fs::path parent = tmpdir();
  fs::path a = make_private_dir(parent, "pcirig-"), b = make_private_dir(parent, "pcirig-");
  EXPECT_NE(a, b);
  for (const fs::path& d : {a, b}) {
    struct stat st {};
    ASSERT_EQ(::lstat(d.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_uid, ::geteuid());
    EXPECT_EQ(st.st_mode & 07777, 0700u) << d;
  }
  try {
    make_private_dir(parent / "missing", "pcirig-");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((parent / "missing").string()), std::string::npos) << e.what();
  }
  fs::remove_all(parent);
}

// 100 MB without a newline on the agent's port, then a good stats line: the channel
// holds at most its 1 MiB line, counts the dropped line, and reads on.
TEST(HostileInput, AgentFloodWithoutNewlineIsBounded) {
  Pair p;
  LineLog transcript("/dev/null");
  AgentChannel agent(p.ctx.get_executor(), &transcript);
  std::vector<nlohmann::json> problems;
  agent.on_input_problem = [&](const nlohmann::json& d) { problems.push_back(d); };
  agent.attach(std::move(p.near));
  p.write_then_close(kFlood, {"\n", stats_line(7)});
  p.run();
  auto [hwm, rss] = rss_mib();
  std::printf("agent: %zu bytes without newline: peak RSS %.1f MiB, RSS now %.1f MiB\n", kFlood, hwm, rss);
  EXPECT_LT(hwm, 50.0) << "the reader kept what it should have dropped";
  EXPECT_EQ(agent.input_counts().cut_lines, 1u);
  EXPECT_EQ(agent.input_counts().dropped_bytes, kFlood);
  EXPECT_EQ(agent.input_counts().protocol_errors, 0u);
  EXPECT_EQ(agent.stats().config_reads, 7) << "the loop did not go on after the flood";
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0]["kind"], "line_cut");
  EXPECT_EQ(problems[0]["ch"], "agent");
}

TEST(HostileInput, QmpFloodWithoutNewlineIsBounded) {
  Pair p;
  LineLog transcript("/dev/null");
  QmpClient qmp(p.ctx.get_executor(), &transcript);
  qmp.attach(std::move(p.near));
  p.write_then_close(kFlood, {"\n", R"({"QMP":{"version":{"qemu":{"major":7}},"capabilities":[]}})" "\n"});
  p.run();
  auto [hwm, rss] = rss_mib();
  std::printf("qmp: %zu bytes without newline: peak RSS %.1f MiB, RSS now %.1f MiB\n", kFlood, hwm, rss);
  EXPECT_LT(hwm, 50.0);
  EXPECT_EQ(qmp.input_counts().cut_lines, 1u);
  EXPECT_EQ(qmp.input_counts().dropped_bytes, kFlood);
  EXPECT_TRUE(qmp.greeting().contains("QMP")) << "the loop did not go on after the flood";
}

// The console: console.log gets every byte (under its cap), the window for the crash
// parser stays bounded, and a report after the flood is still seen and parsed.
TEST(HostileInput, ConsoleFloodWithoutNewlineIsBounded) {
  fs::path dir = tmpdir();
  Pair p;
  LineLog log(dir / "console.log");
  ConsoleReader con(p.ctx.get_executor(), &log);
  std::vector<nlohmann::json> problems;
  std::vector<std::string> reports;
  con.on_input_problem = [&](const nlohmann::json& d) { problems.push_back(d); };
  con.on_report_start = [&](const std::string& l) { reports.push_back(l); };
  con.attach(std::move(p.near));
  const std::string panic = "\n[   12.5] Kernel panic - not syncing: sysrq triggered crash\n";
  p.write_then_close(kFlood, {panic});
  p.run();
  auto [hwm, rss] = rss_mib();
  std::printf("console: %zu bytes without newline: peak RSS %.1f MiB, RSS now %.1f MiB\n", kFlood, hwm, rss);
  EXPECT_LT(hwm, 50.0);
  EXPECT_TRUE(con.eof());
  auto c = con.input_counts();
  EXPECT_EQ(c["cut_lines"], 1);
  EXPECT_EQ(c["dropped_bytes"], kFlood - LineSplitter::kDefaultMaxLine);  // the head stays in the window
  EXPECT_EQ(c["log_dropped_bytes"], 0);
  EXPECT_EQ(fs::file_size(dir / "console.log"), kFlood + panic.size());
  ASSERT_EQ(reports.size(), 1u);
  std::string text = con.text();
  EXPECT_LE(text.size(), ConsoleReader::kWindow);
  EXPECT_NE(text.find("Kernel panic - not syncing: sysrq triggered crash"), std::string::npos);
  ASSERT_GE(problems.size(), 1u);
  EXPECT_EQ(problems[0]["kind"], "line_cut");
  fs::remove_all(dir);
}

// Many ordinary lines: the window drops the oldest, keeps the newest and a report's opening.
TEST(HostileInput, ConsoleWindowKeepsTheFirstReport) {
  asio::io_context ctx;
  ConsoleReader con(ctx.get_executor(), nullptr);
  std::string line(999, 'a');
  line += '\n';
  for (int i = 0; i < 20000; i++) con.feed(line);  // 20 MB before any report
  EXPECT_LE(con.text().size(), ConsoleReader::kWindow);
  con.feed("[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000\n");
  for (int i = 0; i < 20000; i++) con.feed(line);  // 20 MB after it
  std::string text = con.text();
  EXPECT_LE(text.size(), ConsoleReader::kWindow);
  EXPECT_NE(text.find("BUG: kernel NULL pointer dereference"), std::string::npos);
  EXPECT_GT(con.input_counts()["trimmed_bytes"].get<uint64_t>(), 30'000'000u);
  EXPECT_EQ(con.reports_seen(), 1);
}

// Each bad shape the brief names, through the real agent channel and a real RunDir
// journal: counted, journaled as protocol_error, and the next good line is read.
TEST(HostileInput, AgentBadShapesAreProtocolErrors) {
  fs::path dir = tmpdir();
  auto run = std::make_unique<RunDir>(dir, 1);
  InputJournal ij(*run);
  Pair p;
  AgentChannel agent(p.ctx.get_executor(), &run->agent_log());
  agent.on_input_problem = [&](const nlohmann::json& d) { ij.note(d); };
  agent.attach(std::move(p.near));
  const std::vector<std::string> bad = {
      R"({"type":"stats","t":1,"config_reads":"many"})",      // a string where a count is due
      R"({"type":"stats","t":"soon","config_reads":1})",
      R"({"type":"reply","ok":true})",                        // no id
      R"({"type":"reply","id":"1","ok":true})",               // id of the wrong type
      R"({"type":"reply","id":4242,"ok":true})",              // an id never sent
      R"({"type":"reply","id":1,"ok":"yes"})",                // (id 1 is pending: still refused)
      R"({"type":"ready","devices":{"bdf":"0000:01:00.0"}})", // an object where a list is due
      R"({"type":"ready","cpus":"two"})",
      R"({"type":"pci","event":"add","dev":["0000:01:00.0"]})",
      R"({"type":"pci","event":"add","dev":{"bdf":1}})",
      R"({"type":"pci","event":"plugged","dev":{}})",
      R"({"type":"pci","event":"add"})",
      R"({"type":"log","msg":{"a":1}})",
      R"({"type":7})",
      R"({"no_type":1})",
      R"({"type":"unheard_of"})",
      R"([1,2,3])", R"("a string")", "42", "null", "true",  // not objects
      R"({"type":"stats",)", "\x01\x02\xff\xfe",              // not JSON
  };
  std::optional<ChannelReply> reply;
  asio::co_spawn(p.ctx, [&]() -> asio::awaitable<void> {
    reply = co_await agent.command("stop", json::object(), std::chrono::seconds(60));
  }, asio::detached);
  std::vector<std::string> lines;
  for (auto& b : bad) lines.push_back(b + "\n");
  lines.push_back(stats_line(11));
  lines.push_back(R"({"type":"pci","event":"add","dev":{"bdf":"0000:01:00.0","vendor":"0x1af4","device":"0x1041","class":"0x020000","driver":null,"slot":"1"}})" "\n");
  lines.push_back(R"({"type":"reply","id":1,"ok":true})" "\n");
  p.write_then_close(0, lines);
  p.run();
  EXPECT_EQ(agent.input_counts().protocol_errors, bad.size());
  EXPECT_EQ(agent.stats().config_reads, 11);
  EXPECT_EQ(agent.pci_adds(), 1);
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->ok) << "the pending command lost its reply";
  // The journal: the first kMaxPerChannel, then one line saying the rest are only counted.
  std::string journal = read_file_text(run->path() / "journal.jsonl");
  size_t n = 0;
  for (size_t at = 0; (at = journal.find(R"("ev":"protocol_error")", at)) != std::string::npos; at++) n++;
  EXPECT_EQ(n, size_t(InputJournal::kMaxPerChannel));
  EXPECT_NE(journal.find(R"("ev":"input_journal_full","ch":"agent")"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"('config_reads' must be an integer, not string)"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"(reply to id 4242, which was never sent)"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"('devices' must be a list, not object)"), std::string::npos) << journal;
  run.reset();
  fs::remove_all(dir);
}

// The same for QMP: bad replies and events are refused, the handshake still completes.
TEST(HostileInput, QmpBadShapesAreProtocolErrors) {
  Pair p;
  LineLog transcript("/dev/null");
  QmpClient qmp(p.ctx.get_executor(), &transcript);
  std::vector<nlohmann::json> problems;
  qmp.on_input_problem = [&](const nlohmann::json& d) { problems.push_back(d); };
  qmp.attach(std::move(p.near));
  const std::vector<std::string> bad = {
      R"({"QMP":"hello"})",
      R"({"return":{}})",                                   // no id
      R"({"return":{},"id":"1"})",
      R"({"return":{},"id":99})",                           // an id never sent
      R"({"error":"nope","id":1})",
      R"({"error":{"class":1,"desc":"x"},"id":1})",
      R"({"event":7})",
      R"({"event":"DEVICE_DELETED","data":["rp1"]})",
      R"({"something":"else"})",
      R"([{"return":{},"id":1}])",
      "{oops",
  };
  std::optional<bool> handshake;
  asio::co_spawn(p.ctx, [&]() -> asio::awaitable<void> {
    handshake = co_await qmp.handshake(std::chrono::seconds(60));
  }, asio::detached);
  std::vector<std::string> lines;
  for (auto& b : bad) lines.push_back(b + "\n");
  lines.push_back(R"({"QMP":{"version":{"qemu":{"major":7}},"capabilities":[]}})" "\n");
  lines.push_back(kAwait);  // qmp_capabilities
  lines.push_back(R"({"return":{},"id":1})" "\n");
  p.write_then_close(0, lines);
  p.run();
  EXPECT_EQ(qmp.input_counts().protocol_errors, bad.size());
  EXPECT_EQ(problems.size(), bad.size());
  ASSERT_TRUE(handshake.has_value());
  EXPECT_TRUE(*handshake);
  for (auto& d : problems) EXPECT_EQ(d["kind"], "protocol_error") << d.dump();
}
