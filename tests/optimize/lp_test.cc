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

// A MILP with every kind of row and bound:  min -3f - 2n + g + k - b - m  s.t.
//   span:  1 <= f + b <= 2.5      (ranged)
//   cap:   f + n + k <= 9.7
//   floor: g - n >= -8
//   none:  f + z free             (constrains nothing: left out)
// f >= 0; n integer in [0, 10]; g free; k = 2; b binary; m <= -1; 0 <= z <= 1 in no kept row.
// By hand: k = 2, m = -1 (cost -1 pushes it up to its bound), g = n - 8 (cost +1 pushes it down
// to floor, below 0 as it is free). What is left is max 3f + n + b + 5 with f + b <= 2.5 and
// f + n <= 7.7: f earns 3 per unit of cap and n 1, so f = 2.5, b = 0, n = floor(5.2) = 5 (b = 1,
// f = 1.5, n = 6 gives 11.5 + 5 only). Optimum -(7.5 + 5 + 5) = -17.5; the LP relaxation gives
// n = 5.2 and -17.7. A range read the wrong way (f + b in [-0.5, 1]) gives -14.1, g held >= 0
// gives -14.5, a lost integer marker -17.7: glpsol's -17.5 confirms ranges, bounds and markers.
LpModel EveryKindMilp() {
  LpModel m;
  const int f = m.AddVariable("f", 0, kLpInfinity, -3);
  const int n = m.AddVariable("n[0]", 0, 10, -2, true);  // sanitized to n_0_
  const int g = m.AddVariable("g", -kLpInfinity, kLpInfinity, 1);
  const int k = m.AddVariable("k", 2, 2, 1);
  const int b = m.AddVariable("b", 0, 1, -1, true);
  m.AddVariable("m", -kLpInfinity, -1, -1);
  const int z = m.AddVariable("z", 0, 1, 0);
  m.AddRow("span", 1, 2.5, {{f, 1}, {b, 1}});
  m.AddRow("cap", -kLpInfinity, 9.7, {{f, 1}, {n, 1}, {k, 1}});
  m.AddRow("floor", -8, kLpInfinity, {{g, 1}, {n, -1}});
  m.AddRow("none", -kLpInfinity, kLpInfinity, {{f, 1}, {z, 1}});
  return m;
}

TEST(WriteMpsFormatTest, WritesRowsColumnsMarkersRangesAndExplicitBounds) {
  EXPECT_EQ(WriteMpsFormat(EveryKindMilp()),
            "* OpenMEG MPS model: 7 variables, 4 rows\n"
            "NAME OpenMEG\n"
            "ROWS\n"
            " N obj\n"
            " G span\n"
            " L cap\n"
            " G floor\n"
            "COLUMNS\n"
            " f obj -3\n"
            " f span 1\n"
            " f cap 1\n"
            " MARKER 'MARKER' 'INTORG'\n"
            " n_0_ obj -2\n"
            " n_0_ cap 1\n"
            " n_0_ floor -1\n"
            " MARKER 'MARKER' 'INTEND'\n"
            " g obj 1\n"
            " g floor 1\n"
            " k obj 1\n"
            " k cap 1\n"
            " MARKER 'MARKER' 'INTORG'\n"
            " b obj -1\n"
            " b span 1\n"
            " MARKER 'MARKER' 'INTEND'\n"
            " m obj -1\n"
            " z obj 0\n"  // in no kept row and free of cost: still declared
            "RHS\n"
            " RHS span 1\n"
            " RHS cap 9.6999999999999993\n"
            " RHS floor -8\n"
            "RANGES\n"
            " RNG span 1.5\n"
            "BOUNDS\n"
            " LO BND f 0\n"
            " PL BND f\n"
            " LO BND n_0_ 0\n"
            " UP BND n_0_ 10\n"
            " FR BND g\n"
            " FX BND k 2\n"
            " BV BND b\n"
            " MI BND m\n"
            " UP BND m -1\n"
            " LO BND z 0\n"
            " UP BND z 1\n"
            "ENDATA\n");
}

TEST(WriteMpsFormatTest, SumsRepeatedTermsAndNamesLikeTheLpWriter) {
  LpModel m;
  const int x = m.AddVariable("e.x", 0, 4, 1);       // LP name ve_x
  m.AddRow("", 1, kLpInfinity, {{x, 2}, {x, 0.5}});  // unnamed row 0: c0; 2x + 0.5x >= 1
  const std::string text = WriteMpsFormat(m);
  EXPECT_THAT(text, HasSubstr("COLUMNS\n ve_x obj 1\n ve_x c0 2.5\nRHS\n RHS c0 1\n"));
  EXPECT_THAT(WriteLpFormat(m), HasSubstr(" c0: + 2 ve_x + 0.5 ve_x >= 1\n"));
}

TEST(WriteMpsFormatTest, GlpsolFindsTheSameOptimaAsFromTheLpFormat) {
  if (!testing::HaveGlpsol()) GTEST_SKIP() << "glpsol missing: run scripts/setup (glpk-utils)";
  const std::string dir = testing::TempDir("tiny-mps");
  EXPECT_EQ(testing::GlpsolMpsObjective(WriteMpsFormat(TinyLp()), dir, "lp"), -5.5);
  EXPECT_EQ(testing::GlpsolMpsObjective(WriteMpsFormat(TinyMilp()), dir, "milp"), -20);
  EXPECT_EQ(testing::GlpsolMpsObjective(WriteMpsFormat(EveryKindMilp()), dir, "every"), -17.5);
  EXPECT_EQ(testing::GlpsolObjective(WriteLpFormat(EveryKindMilp()), dir, "every"), -17.5);

  ClpCbcSolver solver;
  auto r = solver.Solve(EveryKindMilp(), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, SolveStatus::kOptimal);
  EXPECT_NEAR(r->objective, -17.5, 1e-9);
}

}  // namespace
}  // namespace meg
