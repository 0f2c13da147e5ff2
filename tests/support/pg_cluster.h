// A private PostgreSQL 15 cluster for tests and benchmarks: initdb + pg_ctl in a fresh folder
// under /tmp, listening on a free loopback port and on a unix socket in that folder, fsync on;
// stopped (immediately) and removed when the handle goes, even when a test fails. Header-only,
// over tests/device/peer_process.h. One handle per cluster; not thread-safe.
//
// Root: postgres refuses to run as root, and CI runs as root. When geteuid() == 0 the folder is
// chowned to the Debian `postgres` user (package postgresql-15 creates it) and initdb, pg_ctl and
// the server run as that user (runuser -u postgres --). The test process becomes a child
// subreaper (prctl PR_SET_CHILD_SUBREAPER), so the postmaster, orphaned when pg_ctl exits, is
// adopted by it and reaped after a kill -9 (this machine's init does not reap orphans; an
// unreaped postmaster would keep its lock file "in use" and block the restart).
//
//   meg::testing::PgCluster pg;            // initdb, start; pg.running() or pg.error()
//   pg.CreateDatabase("t1");
//   auto store = PostgresStore::Open(pg.conninfo("t1"), clock);
//   pg.Psql("SELECT count(*) FROM samples", "t1");   // "42": an independent check through psql
//   pg.KillNine(); pg.Start();              // a crash of the server, and its recovery
#pragma once

#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "device/peer_process.h"

namespace meg::testing {

inline constexpr char kPgBinDir[] = "/usr/lib/postgresql/15/bin";

class PgCluster {
 public:
  // `settings`: extra postgresql.conf lines, e.g. {"max_wal_size", "1GB"}.
  explicit PgCluster(std::vector<std::pair<std::string, std::string>> settings = {}) : dir_("meg-pg-") {
    if (dir_.path().empty()) {
      error_ = "could not make a folder under /tmp";
      return;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (geteuid() == 0) {
      const passwd* pg = getpwnam("postgres");
      if (pg == nullptr) {
        error_ = "running as root, and there is no postgres user (install postgresql-15)";
        return;
      }
      if (chown(dir_.path().c_str(), pg->pw_uid, pg->pw_gid) != 0) {
        error_ = "cannot chown " + dir_.path().string() + " to postgres";
        return;
      }
      as_postgres_ = true;
    }
    if (!Run({Bin("initdb"), "-D", data().string(), "-U", "meg", "--auth=trust", "--no-sync", "--encoding=UTF8",
              "--locale=C"},
             "initdb.log", std::chrono::seconds{120})) {
      error_ = "initdb failed: " + ReadFile(dir_.path() / "initdb.log");
      return;
    }
    // The server's durability is what the tests check: fsync on, commits wait for the WAL.
    std::ofstream conf(data() / "postgresql.conf", std::ios::app);
    conf << "\n# meg::testing::PgCluster\nlisten_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << dir_.path().string() << "'\n"
         << "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
         // Crash recovery first syncs the data folder: one syncfs(2) instead of an fsync per file
         // (2.5 s on this machine). Durable the same on Linux.
         << "recovery_init_sync_method = syncfs\n";
    for (const auto& [key, value] : settings) conf << key << " = '" << value << "'\n";
    conf.close();
    for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
      port_ = FreePort();
      std::ofstream(data() / "postgresql.auto.conf", std::ios::app)
          << "port = " << port_ << "\n";  // the last line wins on a retry
      Start();
    }
  }
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;
  // Stops the server at once (no checkpoint: nothing is kept) and removes the folder.
  ~PgCluster() {
    if (running_) Stop("immediate");
    if (const pid_t pid = PostmasterPid(); pid > 0 && IsOurPostmaster(pid)) Reap(pid, true);
  }

  bool running() const { return running_; }
  // Why the cluster is not running: the step that failed and its output.
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path data() const { return dir_.path() / "data"; }
  std::filesystem::path log() const { return dir_.path() / "postgres.log"; }

  // libpq conninfo of database `dbname` over the unix socket (or TCP on 127.0.0.1 with `tcp`).
  std::string conninfo(const std::string& dbname = "postgres", bool tcp = false) const {
    const std::string host = tcp ? std::string("127.0.0.1") : dir_.path().string();
    return "host=" + host + " port=" + std::to_string(port_) + " user=meg dbname=" + dbname + " connect_timeout=10";
  }

  // Runs `sql` through psql (an independent client) on `dbname`; returns its unaligned,
  // tuples-only output without the final newline (columns '|'-separated, rows on lines), or
  // "error: " and psql's message.
  std::string Psql(const std::string& sql, const std::string& dbname = "postgres") {
    const auto out = dir_.path() / ("psql-" + std::to_string(++psql_runs_) + ".out");
    PeerProcess p({Bin("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo(dbname), "-c", sql},
                  out);
    const int status = p.Wait(std::chrono::seconds{60});
    std::string text = ReadFile(out);
    std::error_code ec;
    std::filesystem::remove(out, ec);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return status == 0 ? text : "error: " + text;
  }

  bool CreateDatabase(const std::string& name) {
    return Psql("CREATE DATABASE \"" + name + "\"").rfind("error", 0) != 0;
  }

  // pg_ctl start -w: true once the server accepts connections (a restart after a crash runs
  // recovery first).
  bool Start() {
    running_ = Run({Bin("pg_ctl"), "-D", data().string(), "-l", log().string(), "-w", "-t", "120", "start"},
                   "pg_ctl.log", std::chrono::seconds{150});
    if (!running_) error_ = "pg_ctl start failed: " + ReadFile(log());
    return running_;
  }

  // pg_ctl stop -m `mode` (smart, fast, immediate).
  bool Stop(const std::string& mode = "fast") {
    const pid_t pid = PostmasterPid();
    const bool ours = pid > 0 && IsOurPostmaster(pid);
    const bool ok = Run({Bin("pg_ctl"), "-D", data().string(), "-m", mode, "-w", "-t", "60", "stop"}, "pg_ctl.log",
                        std::chrono::seconds{90});
    if (ours) Reap(pid, !ok);  // reap the adopted postmaster; kill it if it would not stop
    running_ = false;
    return ok;
  }

  // A crash: SIGKILL to the postmaster and every process it started (backends, WAL writer,
  // checkpointer), as a power cut would stop them; nothing is shut down cleanly. The WAL fsynced
  // by each commit is what recovery replays on Start().
  bool KillNine() {
    const pid_t pid = PostmasterPid();
    if (pid <= 0 || !IsOurPostmaster(pid)) return false;
    const std::vector<pid_t> children = ChildrenOf(pid);
    Reap(pid, true);
    for (const pid_t c : children) Reap(c, true);
    running_ = false;
    return true;
  }

  // CPU seconds (user + system) the server has used so far: the postmaster, its running
  // processes (backends, WAL writer, checkpointer...) and the children it has reaped. For
  // benchmarks: the share of a figure that is the server's.
  double ServerCpuSeconds() const {
    const pid_t pid = PostmasterPid();
    if (pid <= 0) return 0;
    double ticks = CpuTicks(pid, true);
    for (const pid_t c : ChildrenOf(pid)) ticks += CpuTicks(c, false);
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

  // The postmaster's pid (first line of data/postmaster.pid), or -1.
  pid_t PostmasterPid() const {
    std::ifstream in(data() / "postmaster.pid");
    long pid = -1;
    if (!(in >> pid)) return -1;
    return static_cast<pid_t>(pid);
  }

 private:
  static std::string Bin(const char* name) { return std::string(kPgBinDir) + "/" + name; }

  // Runs `argv` in the cluster's folder (as postgres when root), output to `log_name` there;
  // true if it exited 0 within `timeout`.
  bool Run(std::vector<std::string> argv, const std::string& log_name, std::chrono::milliseconds timeout) {
    std::vector<std::string> full;
    if (as_postgres_) full = {"runuser", "-u", "postgres", "--"};
    full.insert(full.end(), {"env", "-C", dir_.path().string()});
    full.insert(full.end(), argv.begin(), argv.end());
    PeerProcess p(full, dir_.path() / log_name);
    return p.running() && p.Wait(timeout) == 0;
  }

  // The pids whose parent is `parent` (/proc/<pid>/stat, field 4).
  static std::vector<pid_t> ChildrenOf(pid_t parent) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      char state = 0;
      long ppid = 0;
      std::istringstream rest(line.substr(close + 1));
      if (rest >> state >> ppid && ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
  }

  // utime + stime of `pid` (fields 14, 15 of /proc/<pid>/stat), with its reaped children's
  // (cutime, cstime) when `with_children`.
  static double CpuTicks(pid_t pid, bool with_children) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 17 && rest >> field; ++i) {  // field 3 is the state
      if (i == 14 || i == 15 || (with_children && (i == 16 || i == 17))) ticks += std::stod(field);
    }
    return ticks;
  }

  // True if `pid` is this cluster's postmaster (its command line names our data folder), so a
  // stale postmaster.pid whose number was reused is never killed.
  bool IsOurPostmaster(pid_t pid) const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return cmdline.find(data().string()) != std::string::npos;
  }

  // Waits until `pid` is gone: reaped if it is (by adoption) our child, else until /proc shows it
  // gone or a zombie. SIGKILLs it first when `kill_first`.
  static void Reap(pid_t pid, bool kill_first) {
    if (kill_first) kill(pid, SIGKILL);
    WaitFor(
        [&] {
          const pid_t r = waitpid(pid, nullptr, WNOHANG);
          if (r == pid) return true;
          if (r == 0) return false;  // our child, still running
          std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
          std::string line;
          if (!std::getline(stat, line)) return true;
          const auto close = line.rfind(')');
          return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
        },
        std::chrono::seconds{30});
  }

  TempDir dir_;
  bool as_postgres_ = false;
  bool running_ = false;
  int port_ = -1;
  int psql_runs_ = 0;
  std::string error_;
};

}  // namespace meg::testing
