#include "core/series.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

TEST(SeriesTest, GapsAreExplicit) {
  const Timestamp t0 = *ParseIso8601("2024-08-12T00:00:00+09:00");
  std::vector<std::optional<Kilowatts>> v = {Kilowatts(1), std::nullopt, std::nullopt, Kilowatts(4),
                                             std::nullopt};
  const PowerSeries s(t0, kInterval, v);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(s.end(), t0 + std::chrono::minutes{75});
  const auto gaps = s.Gaps();
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].start, t0 + kInterval);
  EXPECT_EQ(gaps[0].count, 2u);
  EXPECT_EQ(gaps[1].count, 1u);
  EXPECT_EQ(s.IndexOf(t0 + std::chrono::minutes{30}), 2u);
  EXPECT_FALSE(s.IndexOf(t0 + std::chrono::minutes{31}));
  EXPECT_FALSE(s.IndexOf(t0 - kInterval));
  const auto mid = s.Slice(t0 + kInterval, t0 + std::chrono::minutes{60});
  EXPECT_EQ(mid.size(), 3u);
  EXPECT_EQ(mid.start(), t0 + kInterval);
  EXPECT_DOUBLE_EQ(mid.at(2)->value(), 4.0);
}

}  // namespace
}  // namespace meg
