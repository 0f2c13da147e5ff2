// A center link in a process of its own, for the test that kills it (SIGKILL) during ingest:
//   center_link_child URL PASSWORD SINK_PATH SITE...
// Starts a CenterLink writing to the SQLite store at SINK_PATH, prints "ready", and runs until
// killed.
#include <chrono>
#include <cstdio>
#include <thread>

#include "center/nats/center_link.h"
#include "store/sqlite/sqlite_store.h"

namespace {

class WallClock final : public meg::Clock {
 public:
  meg::Instant Now() const override {
    return std::chrono::time_point_cast<meg::Millis>(std::chrono::system_clock::now());
  }
  void SleepUntil(meg::Instant t) override { std::this_thread::sleep_until(t); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: center_link_child URL PASSWORD SINK_PATH SITE...\n");
    return 2;
  }
  WallClock clock;
  auto sink = meg::SqliteStore::Open(argv[3], clock);
  if (!sink) {
    std::fprintf(stderr, "%s\n", sink.error().message.c_str());
    return 1;
  }
  meg::CenterLinkOptions o;
  o.urls = {argv[1]};
  o.password = argv[2];
  for (int i = 4; i < argc; ++i) o.sites.push_back(argv[i]);
  o.fetch_wait = meg::Millis{200};
  auto link = meg::CenterLink::Start(o, std::move(*sink), clock);
  if (!link) {
    std::fprintf(stderr, "%s\n", link.error().message.c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) std::this_thread::sleep_for(std::chrono::seconds{1});
}
