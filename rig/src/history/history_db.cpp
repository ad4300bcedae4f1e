#include "history/history_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "images/kernel_image.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS campaigns(uid TEXT PRIMARY KEY, started TEXT, seed INTEGER, plan TEXT, plan_hash TEXT,
  host TEXT, dir TEXT, shard TEXT, ended TEXT, end_reason TEXT);
CREATE TABLE IF NOT EXISTS runs(campaign TEXT NOT NULL, idx INTEGER NOT NULL, cell TEXT, kind TEXT, seed INTEGER,
  result TEXT, title TEXT, started TEXT, ended TEXT, seconds REAL, run_dir TEXT, kernel TEXT, kernel_identity TEXT,
  topology TEXT, config_hash TEXT, host_load REAL, reads_per_s REAL, resets_per_s REAL, plug_cycles INTEGER,
  repro_title TEXT, repro_reproduced INTEGER, repro_attempts INTEGER, repro_rate REAL,
  PRIMARY KEY(campaign, idx));
CREATE TABLE IF NOT EXISTS titles(title TEXT PRIMARY KEY, first_seen TEXT, first_campaign TEXT, last_seen TEXT,
  count INTEGER, best_repro TEXT, best_seconds REAL);
CREATE TABLE IF NOT EXISTS crashes(campaign TEXT NOT NULL, idx INTEGER NOT NULL, title TEXT NOT NULL, seen TEXT,
  run_dir TEXT, PRIMARY KEY(campaign, idx));
CREATE INDEX IF NOT EXISTS crashes_title ON crashes(title);
)";

// An SQLite failure with its primary result code, so that a caller can tell a lock
// held by another campaign (SQLITE_BUSY) from a real fault.
struct SqliteError : std::runtime_error {
  SqliteError(int rc, const std::string& what) : std::runtime_error(what), code(rc & 0xff) {}
  bool busy() const { return code == SQLITE_BUSY || code == SQLITE_LOCKED; }
  int code;
};

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (int rc = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); rc != SQLITE_OK)
      throw SqliteError(rc, fmt::format("history: {}: {}", sqlite3_errmsg(db), sql));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& bind(int i, const std::string& v) { return check(sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT)); }
  Stmt& bind(int i, double v) { return check(sqlite3_bind_double(s_, i, v)); }
  Stmt& bind(int i, long long v) { return check(sqlite3_bind_int64(s_, i, v)); }
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SqliteError(rc, fmt::format("history: {}", sqlite3_errmsg(db_)));
  }
  std::string text(int i) {
    auto p = sqlite3_column_text(s_, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  long long i64(int i) { return sqlite3_column_int64(s_, i); }
  double dbl(int i) { return sqlite3_column_double(s_, i); }

 private:
  Stmt& check(int rc) {
    if (rc != SQLITE_OK) throw std::runtime_error(fmt::format("history: bind: {}", sqlite3_errmsg(db_)));
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};
}  // namespace

fs::path default_history_path() { return repo_root() / "runs" / "history.sqlite"; }

HistoryDb::HistoryDb(const fs::path& file) : file_(file.string()) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  if (sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error(fmt::format("history {}: {}", file_, why));
  }
  // Another campaign may hold the write lock for a moment: wait for it rather than fail.
  sqlite3_busy_timeout(db_, 60000);
  try {
    set_up_retrying_busy();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

// Two campaigns creating one history at once: while the new file is still in rollback
// mode, SQLite answers SQLITE_BUSY without calling the busy handler where waiting could
// deadlock (a reader upgrading its lock against a writer's pending one). The set-up is
// idempotent, so it is run again after a pause, within the busy timeout's minute.
void HistoryDb::set_up_retrying_busy() {
  using namespace std::chrono;
  auto deadline = steady_clock::now() + 60s;
  for (auto pause = 5ms;; pause = std::min(pause * 2, milliseconds(250))) {
    try {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=FULL");
      exec(kSchema);
      add_repro_columns();
      return;
    } catch (const SqliteError& e) {
      if (!e.busy() || steady_clock::now() + pause > deadline) throw;
    }
    std::this_thread::sleep_for(pause);
  }
}

// A history made before repro cells lacks their columns; one writer adds them (under the
// write lock, so two campaigns opening the file at once do not both try).
void HistoryDb::add_repro_columns() {
  exec("BEGIN IMMEDIATE");
  try {
    bool has = false;
    {
      Stmt q(db_, "SELECT 1 FROM pragma_table_info('runs') WHERE name='repro_title'");
      has = q.step();
    }
    if (!has)
      exec("ALTER TABLE runs ADD COLUMN repro_title TEXT; ALTER TABLE runs ADD COLUMN repro_reproduced INTEGER; "
           "ALTER TABLE runs ADD COLUMN repro_attempts INTEGER; ALTER TABLE runs ADD COLUMN repro_rate REAL;");
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

HistoryDb::~HistoryDb() { sqlite3_close(db_); }

void HistoryDb::exec(const std::string& sql) {
  char* err = nullptr;
  if (int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string why = err ? err : "?";
    sqlite3_free(err);
    throw SqliteError(rc, fmt::format("history {}: {}", file_, why));
  }
}

void HistoryDb::begin_campaign(const CampaignInfo& c) {
  std::lock_guard lk(mu_);
  Stmt s(db_, "INSERT OR IGNORE INTO campaigns(uid, started, seed, plan, plan_hash, host, dir, shard) "
              "VALUES(?,?,?,?,?,?,?,?)");
  s.bind(1, c.uid).bind(2, c.started).bind(3, (long long)c.seed).bind(4, c.plan).bind(5, c.plan_hash);
  s.bind(6, c.host).bind(7, c.dir).bind(8, c.shard).step();
}

void HistoryDb::end_campaign(const std::string& uid, const std::string& ended, const std::string& reason) {
  std::lock_guard lk(mu_);
  Stmt s(db_, "UPDATE campaigns SET ended=?, end_reason=? WHERE uid=?");
  s.bind(1, ended).bind(2, reason).bind(3, uid).step();
}

bool HistoryDb::record_run(const std::string& uid, const RunRecord& r, const std::string& abs_run_dir) {
  std::lock_guard lk(mu_);
  // IMMEDIATE: take the write lock first, so two campaigns queue instead of deadlocking
  // on a read lock each wants to upgrade.
  exec("BEGIN IMMEDIATE");
  try {
    Stmt ins(db_, "INSERT OR IGNORE INTO runs(campaign, idx, cell, kind, seed, result, title, started, ended, seconds, "
                  "run_dir, kernel, kernel_identity, topology, config_hash, host_load, reads_per_s, resets_per_s, "
                  "plug_cycles, repro_title, repro_reproduced, repro_attempts, repro_rate) "
                  "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    ins.bind(1, uid).bind(2, (long long)r.index).bind(3, r.cell).bind(4, r.kind).bind(5, (long long)r.seed);
    ins.bind(6, r.result).bind(7, r.title).bind(8, r.started).bind(9, r.ended).bind(10, r.seconds);
    ins.bind(11, abs_run_dir).bind(12, r.kernel).bind(13, r.kernel_identity).bind(14, r.topology);
    ins.bind(15, r.config_hash).bind(16, r.host_load).bind(17, r.reads_per_s).bind(18, r.resets_per_s);
    ins.bind(19, r.plug_cycles).bind(20, r.repro_title).bind(21, (long long)r.repro_reproduced);
    ins.bind(22, (long long)r.repro_attempts).bind(23, r.repro_rate).step();
    bool fresh = sqlite3_changes(db_) > 0;
    if (fresh && r.crashed()) {
      Stmt c(db_, "INSERT OR IGNORE INTO crashes(campaign, idx, title, seen, run_dir) VALUES(?,?,?,?,?)");
      c.bind(1, uid).bind(2, (long long)r.index).bind(3, r.title).bind(4, r.ended).bind(5, abs_run_dir).step();
      // Runs may arrive out of time order (a merge): first and last seen are min and max.
      Stmt t(db_, "INSERT INTO titles(title, first_seen, first_campaign, last_seen, count, best_repro, best_seconds) "
                  "VALUES(?1,?2,?3,?2,1,?4,?5) ON CONFLICT(title) DO UPDATE SET "
                  "first_campaign=CASE WHEN excluded.first_seen < first_seen THEN excluded.first_campaign "
                  "ELSE first_campaign END, first_seen=min(first_seen, excluded.first_seen), "
                  "last_seen=max(last_seen, excluded.last_seen), count=count+1, "
                  "best_repro=CASE WHEN excluded.best_seconds < best_seconds THEN excluded.best_repro ELSE best_repro END, "
                  "best_seconds=min(best_seconds, excluded.best_seconds)");
      t.bind(1, r.title).bind(2, r.ended).bind(3, uid).bind(4, abs_run_dir).bind(5, r.seconds).step();
    }
    // New: this campaign recorded the title before any other (crashes in record order).
    // Not "first_campaign is ours": a run of another campaign that ended earlier but is
    // recorded later moves first_seen back, and the title would be new in both campaigns.
    bool is_new = false;
    if (r.crashed() && r.known.empty()) {  // a known kernel report is never news
      Stmt q(db_, "SELECT campaign FROM crashes WHERE title=? ORDER BY rowid LIMIT 1");
      q.bind(1, r.title);
      is_new = q.step() && q.text(0) == uid;
    }
    exec("COMMIT");
    return is_new;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<TitleHistory> HistoryDb::titles() {
  std::lock_guard lk(mu_);
  Stmt s(db_, "SELECT t.title, t.first_seen, t.last_seen, t.first_campaign, t.count, t.best_repro, t.best_seconds, "
              "(SELECT group_concat(k, ', ') FROM (SELECT DISTINCT r.kernel AS k FROM runs r WHERE r.title=t.title)), "
              "(SELECT group_concat(p, ', ') FROM (SELECT DISTINCT r.topology AS p FROM runs r WHERE r.title=t.title)) "
              "FROM titles t ORDER BY t.last_seen DESC");
  std::vector<TitleHistory> out;
  while (s.step()) {
    TitleHistory h;
    h.title = s.text(0), h.first_seen = s.text(1), h.last_seen = s.text(2), h.first_campaign = s.text(3);
    h.count = s.i64(4), h.best_repro = s.text(5), h.best_seconds = s.dbl(6), h.kernels = s.text(7), h.topologies = s.text(8);
    out.push_back(h);
  }
  return out;
}

long long HistoryDb::count(const std::string& table) {
  std::lock_guard lk(mu_);
  if (table != "campaigns" && table != "runs" && table != "titles" && table != "crashes")
    throw std::runtime_error("history: no table " + table);
  Stmt s(db_, ("SELECT count(*) FROM " + table).c_str());
  s.step();
  return s.i64(0);
}
}  // namespace pcirig
