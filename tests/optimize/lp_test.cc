// The LP model, its LP-format text, and the COIN-OR adapter on problems small enough to solve by
// hand; glpsol confirms the same optima from the written LP files.
#include "optimize/lp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/glpsol.h"

namespace meg {
namespace {

using ::testing::HasSubstr;

// max x + 2y  s.t.  x + y <= 4,  x + 3y <= 7,  0 <= x <= 3,  y >= 0; as min -x - 2y.
// Vertices: (0,0) 0; (3,0) -3; (3,1) -5 (x + y = 4 at x = 3); (0,7/3) -4.67; and where
// x + y = 4 meets x + 3y = 7: 2y = 3, y = 1.5, x = 2.5, objective -2.5 - 3 = -5.5, the optimum.
LpModel TinyLp() {
  LpModel m;
  const int x = m.AddVariable("x", 0, 3, -1);
  const int y = m.AddVariable("y", 0, kLpInfinity, -2);
  m.AddRow("sum", -kLpInfinity, 4, {{x, 1}, {y, 1}});
  m.AddRow("weighted", -kLpInfinity, 7, {{x, 1}, {y, 3}});
  return m;
}

// max 5x + 4y  s.t.  6x + 4y <= 24,  x + 2y <= 6,  x, y >= 0 integer; as min -5x - 4y.
// The LP relaxation peaks at (3, 1.5) with 21. Integer points on the border: (4,0) 20,
// (3,1) 19, (2,2) 18, (1,2) 13, (0,3) 12; so the optimum is (4,0) with -20.
LpModel TinyMilp() {
  LpModel m;
  const int x = m.AddVariable("x", 0, kLpInfinity, -5, true);
  const int y = m.AddVariable("y", 0, kLpInfinity, -4, true);
  m.AddRow("c1", -kLpInfinity, 24, {{x, 6}, {y, 4}});
  m.AddRow("c2", -kLpInfinity, 6, {{x, 1}, {y, 2}});
  return m;
}

TEST(ClpCbcSolverTest, TinyLpMatchesHandOptimum) {
  ClpCbcSolver solver;
  auto r = solver.Solve(TinyLp(), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, SolveStatus::kOptimal);
  EXPECT_EQ(r->solver, "clp-dual");
  EXPECT_NEAR(r->objective, -5.5, 1e-9);
  ASSERT_EQ(r->primal.size(), 2u);
  EXPECT_NEAR(r->primal[0], 2.5, 1e-9);
  EXPECT_NEAR(r->primal[1], 1.5, 1e-9);
}

TEST(ClpCbcSolverTest, TinyMilpMatchesHandOptimum) {
  ClpCbcSolver solver;
  auto r = solver.Solve(TinyMilp(), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, SolveStatus::kOptimal);
  EXPECT_EQ(r->solver, "cbc");
  EXPECT_NEAR(r->objective, -20, 1e-9);
  EXPECT_NEAR(r->primal[0], 4, 1e-9);
  EXPECT_NEAR(r->primal[1], 0, 1e-9);
}

TEST(ClpCbcSolverTest, InfeasibleAndUnboundedAreStatusesNotErrors) {
  ClpCbcSolver solver;
  LpModel infeasible;
  const int x = infeasible.AddVariable("x", 0, 1, 1);
  infeasible.AddRow("need2", 2, kLpInfinity, {{x, 1}});  // x >= 2 but x <= 1
  auto r = solver.Solve(infeasible, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, SolveStatus::kInfeasible);
  EXPECT_TRUE(r->primal.empty());

  LpModel unbounded;
  const int y = unbounded.AddVariable("y", 0, kLpInfinity, -1);
  unbounded.AddRow("ge1", 1, kLpInfinity, {{y, 1}});
  r = solver.Solve(unbounded, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, SolveStatus::kUnbounded);

  LpModel milp_infeasible = infeasible;
  milp_infeasible.AddVariable("z", 0, 1, 0, true);
  r = solver.Solve(milp_infeasible, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, SolveStatus::kInfeasible);
}

TEST(ClpCbcSolverTest, MalformedModelIsAnError) {
  ClpCbcSolver solver;
  LpModel m;
  m.AddVariable("x", 2, 1, 0);  // lower > upper
  auto r = solver.Solve(m, {});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("x"));
}

TEST(WriteLpFormatTest, WritesSectionsBoundsRangesAndIntegers) {
  LpModel m;
  const int a = m.AddVariable("a", 0, kLpInfinity, 0.1);
  const int b = m.AddVariable("b", -kLpInfinity, kLpInfinity, -2);
  const int c = m.AddVariable("2c", 0, 1, 0, true);  // starts with a digit: renamed v2c
  const int e = m.AddVariable("e1", 5, 5, 0);         // 'e' could read as an exponent: ve1
  m.AddRow("range", -1, 3, {{a, 1}, {b, -1}});
  m.AddRow("eq", 2, 2, {{b, 1}, {c, 1}, {e, 1}});
  m.AddRow("free", -kLpInfinity, kLpInfinity, {{a, 1}});
  const std::string text = WriteLpFormat(m);
  EXPECT_THAT(text, HasSubstr("Minimize\n obj: + 0.10000000000000001 a - 2 b\n"));
  EXPECT_THAT(text, HasSubstr(" range_lo: + 1 a - 1 b >= -1\n range_hi: + 1 a - 1 b <= 3\n"));
  EXPECT_THAT(text, HasSubstr(" req: + 1 b + 1 v2c + 1 ve1 = 2\n"));  // "eq" starts with e
  EXPECT_THAT(text, ::testing::Not(HasSubstr("free:")));
  EXPECT_THAT(text, HasSubstr("Bounds\n 0 <= a <= +inf\n b free\n 0 <= v2c <= 1\n ve1 = 5\n"));
  EXPECT_THAT(text, HasSubstr("Generals\n v2c\nEnd\n"));
}

TEST(WriteLpFormatTest, GlpsolFindsTheSameOptima) {
  if (!testing::HaveGlpsol()) GTEST_SKIP() << "glpsol missing: run scripts/setup (glpk-utils)";
  const std::string dir = testing::TempDir("tiny");
  EXPECT_EQ(testing::GlpsolObjective(WriteLpFormat(TinyLp()), dir, "lp"), -5.5);
  EXPECT_EQ(testing::GlpsolObjective(WriteLpFormat(TinyMilp()), dir, "milp"), -20);
}

}  // namespace
}  // namespace meg
