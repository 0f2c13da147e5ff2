// The live site's read connections (center/reader_pool.h) on a real SQLite store in a
// temporary folder: leases are exclusive, returned connections are reused, at most `keep_idle`
// stay open, and threads that read at once each get their own.
#include "center/reader_pool.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "store/fresh_store_path.h"

namespace meg {
namespace {

namespace fs = std::filesystem;

std::string StorePath(const std::string& name) { return testing::FreshStorePath("meg-center", name); }

const Instant kT0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));

class ReaderPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = StorePath("pool.db");
    auto w = SqliteStore::Open(path_, clock_);
    ASSERT_TRUE(w) << w.error().message;
    writer_ = std::move(*w);
    auto id = writer_->Point("h1", "grid_kw", "kW");
    ASSERT_TRUE(id);
    point_ = *id;
    ASSERT_TRUE(writer_->Append(std::vector<Sample>{{point_, kT0, 1234.5}}));
    ASSERT_TRUE(writer_->Flush());
  }
  SimClock clock_{kT0};
  std::string path_;
  std::unique_ptr<SqliteStore> writer_;
  PointId point_;
};

TEST_F(ReaderPoolTest, LeasesAreExclusiveAndReturnedConnectionsReused) {
  ReaderPool pool(path_, 1);
  EXPECT_EQ(pool.opened(), 0u);  // opened when first needed
  {
    auto a = pool.Acquire();
    auto b = pool.Acquire();
    ASSERT_TRUE(a && b);
    EXPECT_NE(&a->store(), &b->store());
    EXPECT_EQ(pool.opened(), 2u);
    auto latest = a->store().Latest(point_);
    ASSERT_TRUE(latest && latest->has_value());
    EXPECT_DOUBLE_EQ((*latest)->value, 1234.5);
  }
  EXPECT_EQ(pool.idle(), 1u);  // keep_idle 1: the second returned was closed
  {
    auto c = pool.Acquire();
    ASSERT_TRUE(c);
    EXPECT_EQ(pool.idle(), 0u);
  }
  EXPECT_EQ(pool.opened(), 2u);  // reused, not opened again
}

TEST_F(ReaderPoolTest, AMissingStoreIsAnError) {
  ReaderPool pool(StorePath("absent.db"));
  auto lease = pool.Acquire();
  ASSERT_FALSE(lease);
  EXPECT_NE(lease.error().message.find("absent.db"), std::string::npos) << lease.error().message;
}

// Four threads read 50 times each at once: every read succeeds, and no more connections are
// opened than threads.
TEST_F(ReaderPoolTest, ThreadsReadAtOnceOnTheirOwnConnections) {
  ReaderPool pool(path_, 4);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto lease = pool.Acquire();
        if (!lease) continue;
        auto q = lease->store().Query(point_, kT0, kT0 + std::chrono::hours(1), Resolution::kRaw);
        if (q && q->size() == 1) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 200);
  EXPECT_LE(pool.opened(), 4u);
  EXPECT_EQ(pool.idle(), pool.opened());
}

}  // namespace
}  // namespace meg
