// Real protocol peers for integration tests: child processes (a mosquitto broker, the pymodbus
// SunSpec fixture, mosquitto_pub/sub, mbpoll) started on free loopback ports, waited for with
// bounded polls, and killed when the handle goes (even when a test fails).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace meg::testing {

// Polls `done` every 10 ms until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

// A loopback port nobody listens on now (bind to port 0, read it back, release it).
inline int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// True if something accepts TCP connections on the loopback port.
inline bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory /tmp/<prefix>XXXXXX for configs and logs, removed with its contents when the
// handle goes. path() is empty if it could not be made. Declare it before the PeerProcess handles
// that write into it, so that they are killed before it is removed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string path = "/tmp/" + prefix + "XXXXXX";
    if (mkdtemp(path.data()) != nullptr) path_ = path;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A child process; killed (SIGKILL) and reaped when the handle is destroyed or Kill()ed.
class PeerProcess {
 public:
  PeerProcess() = default;
  // Starts `argv` (PATH lookup) with stdout and stderr appended to `log`; with a pipe on its
  // stdin (write to stdin_fd()) when `pipe_stdin`. pid() <= 0 if it could not start.
  PeerProcess(std::vector<std::string> argv, const std::filesystem::path& log,
              bool pipe_stdin = false) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int fds[2] = {-1, -1};
    if (pipe_stdin && pipe2(fds, O_CLOEXEC) == 0) {
      posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
    } else {
      posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    const std::string out = log.string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    if (fds[0] >= 0) close(fds[0]);
    stdin_fd_ = fds[1];
  }
  PeerProcess(PeerProcess&& o) noexcept { *this = std::move(o); }
  PeerProcess& operator=(PeerProcess&& o) noexcept {
    if (this != &o) {
      Kill();
      pid_ = std::exchange(o.pid_, -1);
      stdin_fd_ = std::exchange(o.stdin_fd_, -1);
    }
    return *this;
  }
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess() { Kill(); }

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return stdin_fd_; }
  bool running() const { return pid_ > 0; }

  // SIGKILL first, then the stdin pipe: closing stdin first would let a child that reads it
  // (mosquitto_pub -l) see end of file and leave cleanly, which is not a crash (no last will).
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }

  // Waits (bounded) for the process to exit; its exit status, or -1 (killed) on timeout.
  int Wait(std::chrono::milliseconds timeout) {
    int status = 0;
    const bool exited =
        WaitFor([&] { return pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!exited) {
      Kill();
      return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
};

// A mosquitto broker on 127.0.0.1:port with anonymous access and no persistence, logging to
// dir/mosquitto.log. Not running() if it did not listen within 10 s.
inline PeerProcess StartMosquitto(const std::filesystem::path& dir, int port) {
  const auto conf = dir / "mosquitto.conf";
  std::ofstream(conf) << "listener " << port
                      << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
  PeerProcess p({"mosquitto", "-c", conf.string()}, dir / "mosquitto.log");
  if (p.running() && !WaitFor([&] { return Accepts(port); }, std::chrono::seconds{10})) p.Kill();
  return p;
}

// The python3 StartSunSpecServer runs: Debian's, which has python3-pymodbus.
inline constexpr char kSunSpecPython[] = "/usr/bin/python3";

// The log StartSunSpecServer(dir, port, kind) writes to.
inline std::filesystem::path SunSpecLog(const std::filesystem::path& dir, int port,
                                        const std::string& kind) {
  return dir / ("sunspec-" + kind + "-" + std::to_string(port) + ".log");
}

#ifdef MEG_TEST_SOURCE_DIR
// The pymodbus SunSpec fixture (tests/device/sunspec_server.py) under kSunSpecPython (a python3
// earlier on PATH may lack pymodbus). Not running() if it did not listen within 15 s; its output
// is in SunSpecLog(dir, port, kind). Needs MEG_TEST_SOURCE_DIR (tests/).
inline PeerProcess StartSunSpecServer(const std::filesystem::path& dir, int port,
                                      const std::string& kind,
                                      std::vector<std::string> extra = {}) {
  const std::string script = std::string(MEG_TEST_SOURCE_DIR) + "/device/sunspec_server.py";
  std::vector<std::string> argv = {kSunSpecPython,       script,   "--port",
                                   std::to_string(port), "--kind", kind};
  argv.insert(argv.end(), extra.begin(), extra.end());
  PeerProcess p(argv, SunSpecLog(dir, port, kind));
  if (p.running() && !WaitFor([&] { return Accepts(port); }, std::chrono::seconds{15})) p.Kill();
  return p;
}
#endif  // MEG_TEST_SOURCE_DIR

}  // namespace meg::testing
