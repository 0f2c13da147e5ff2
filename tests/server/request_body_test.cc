// The JSON request bodies read into values without HTTP: what is accepted, what is refused and
// that no refusal quotes a long field whole.
#include "server/request_body.h"

#include "core/time.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

TEST(RequestBodyTest, LoginBodies) {
  auto ok = ParseLoginBody(R"({"user":"kim.lee_2-x","password":"operator-pass"})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->user, "kim.lee_2-x");
  EXPECT_EQ(ok->password, "operator-pass");
  const char* bad[] = {
      R"({"user":"kim"})",
      R"({"user":3,"password":"x"})",
      "[1]",
      "{not json",
      "",
      R"({"user":"","password":"x"})",         // empty name
      R"({"user":"kim lee","password":"x"})",  // a space
      R"({"user":"김","password":"x"})",       // not A-Z a-z 0-9 . _ -
  };
  for (const char* body : bad) EXPECT_FALSE(ParseLoginBody(body)) << body;
  // 64 characters is the longest name a directory holds; 65 is refused.
  EXPECT_TRUE(ParseLoginBody(R"({"user":")" + std::string(64, 'a') + R"(","password":"x"})"));
  EXPECT_FALSE(ParseLoginBody(R"({"user":")" + std::string(65, 'a') + R"(","password":"x"})"));
  EXPECT_FALSE(ParseLoginBody(R"({"user":"kim","password":")" + std::string(1025, 'p') + "\"}"));
}

// A 1 MB bad field: refused with a message of a few dozen characters of it, and its size.
TEST(RequestBodyTest, LongFieldsAreNotEchoedWhole) {
  const std::string huge(1 << 20, 'x');
  auto login = ParseLoginBody(R"({"user":")" + huge + R"(","password":"x"})");
  ASSERT_FALSE(login);
  EXPECT_LT(login.error().message.size(), 200u) << login.error().message.substr(0, 300);
  EXPECT_NE(login.error().message.find("1048576 bytes"), std::string::npos);
  auto dr = ParseDrCallBody(R"({"start":")" + huge + R"(","end":"2024-08-12T16:00:00+09:00","requested_kw":5})", "kim");
  ASSERT_FALSE(dr);
  EXPECT_LT(dr.error().message.size(), 200u);
  EXPECT_NE(dr.error().message.find("'start'"), std::string::npos);
  auto kind = ParseDrCallBody(
      R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":5,"kind":")" + huge +
          "\"}",
      "kim");
  ASSERT_FALSE(kind);
  EXPECT_LT(kind.error().message.size(), 200u);
}

TEST(RequestBodyTest, CommandBodies) {
  auto set = ParseCommandBody(OperatorCommand::Kind::kSetpoint, R"({"battery_kw":-50,"minutes":5})", "kim");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->battery_kw, -50);
  EXPECT_EQ(set->minutes, 5);
  EXPECT_EQ(set->user, "kim");
  EXPECT_EQ(set->kind, OperatorCommand::Kind::kSetpoint);
  auto sched = ParseCommandBody(OperatorCommand::Kind::kSchedule, R"({"battery_kw":120.5})", "kim");
  ASSERT_TRUE(sched);
  EXPECT_EQ(sched->battery_kw, 120.5);
  EXPECT_TRUE(ParseCommandBody(OperatorCommand::Kind::kAuto, R"({"mode":"auto"})", "kim"));
  auto word =
      ParseCommandBody(OperatorCommand::Kind::kEvSession,
                       R"({"charger":"p1-03","connector":2,"energy_kwh":24.5,"departure":"2024-07-01T18:00:00+09:00"})",
                       "kim");
  ASSERT_TRUE(word) << word.error().message;
  EXPECT_EQ(word->charger, "p1-03");
  EXPECT_EQ(word->connector, 2);
  EXPECT_EQ(word->energy_kwh, 24.5);
  EXPECT_EQ(word->departure, ToInstant(FromKst(std::chrono::year{2024} / 7 / 1, 18 * 60)));
  for (const char* bad_word :
       {R"({"connector":1,"energy_kwh":20,"departure":"2024-07-01T18:00:00+09:00"})",
        R"({"charger":"p1","connector":9,"energy_kwh":20,"departure":"2024-07-01T18:00:00+09:00"})",
        R"({"charger":"p1","energy_kwh":0,"departure":"2024-07-01T18:00:00+09:00"})",
        R"({"charger":"p1","energy_kwh":2000,"departure":"2024-07-01T18:00:00+09:00"})",
        R"({"charger":"p1","energy_kwh":20,"departure":"tonight"})"}) {
    EXPECT_FALSE(ParseCommandBody(OperatorCommand::Kind::kEvSession, bad_word, "kim")) << bad_word;
  }
  auto call = ParseCommandBody(OperatorCommand::Kind::kEvCharger,
                               R"({"charger":"p1-03","connector":2,"action":"remote-start","id_tag":"TAG-7"})", "kim");
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->action, "remote-start");
  EXPECT_EQ(call->id_tag, "TAG-7");
  EXPECT_EQ(call->connector, 2);
  for (const char* bad_call :
       {R"({"charger":"p1","action":"reboot"})", R"({"action":"remote-stop"})",
        R"({"charger":"p1","action":"remote-start"})", R"({"charger":"p1","action":"remote-stop","connector":0})"}) {
    EXPECT_FALSE(ParseCommandBody(OperatorCommand::Kind::kEvCharger, bad_call, "kim")) << bad_call;
  }
  const std::pair<OperatorCommand::Kind, const char*> bad[] = {
      {OperatorCommand::Kind::kAuto, R"({"mode":"manual"})"},
      {OperatorCommand::Kind::kAuto, R"({})"},
      {OperatorCommand::Kind::kSetpoint, R"({"battery_kw":"lots","minutes":5})"},
      {OperatorCommand::Kind::kSetpoint, R"({"battery_kw":1e300,"minutes":5})"},
      {OperatorCommand::Kind::kSetpoint, R"({"battery_kw":1000001,"minutes":5})"},
      {OperatorCommand::Kind::kSetpoint, R"({"battery_kw":10,"minutes":0})"},
      {OperatorCommand::Kind::kSetpoint, R"({"battery_kw":10,"minutes":1441})"},
      {OperatorCommand::Kind::kSetpoint, R"({"battery_kw":10})"},
      {OperatorCommand::Kind::kSchedule, R"([10])"},
  };
  for (const auto& [kind, body] : bad) EXPECT_FALSE(ParseCommandBody(kind, body, "kim")) << body;
}

// Issue 21 item 5: battery modes and the backup reserve.
TEST(RequestBodyTest, BatteryModeBodies) {
  using Kind = OperatorCommand::Kind;
  auto charge = ParseCommandBody(Kind::kBatteryMode,
                                 R"({"mode":"charge-to","until":"2024-08-12T17:00:00+09:00","soc_pct":80})", "kim");
  ASSERT_TRUE(charge) << charge.error().message;
  EXPECT_EQ(charge->mode, "charge-to");
  EXPECT_EQ(charge->soc_pct, 80);
  EXPECT_EQ(charge->until, ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 17 * 60)));
  EXPECT_EQ(charge->from, Instant{});
  auto window = ParseCommandBody(Kind::kBatteryMode,
                                 R"({"mode":"discharge-window","from":"2024-08-12T14:00:00+09:00",)"
                                 R"("until":"2024-08-12T16:00:00+09:00","power_kw":300})",
                                 "kim");
  ASSERT_TRUE(window) << window.error().message;
  EXPECT_EQ(window->battery_kw, 300);
  EXPECT_TRUE(ParseCommandBody(Kind::kBatteryMode, R"({"mode":"auto"})", "kim"));
  const auto error = [](Kind k, std::string_view body) {
    auto c = ParseCommandBody(k, body, "kim");
    return c ? std::string() : c.error().message;
  };
  EXPECT_NE(error(Kind::kBatteryMode, R"({"mode":"turbo","until":"2024-08-12T17:00:00+09:00"})").find("not one of"),
            std::string::npos);
  EXPECT_NE(error(Kind::kBatteryMode, R"({"mode":"charge-to","until":"2024-08-12T17:00:00+09:00"})").find("soc_pct"),
            std::string::npos);
  EXPECT_NE(error(Kind::kBatteryMode, R"({"mode":"hold-soc"})").find("until"), std::string::npos);
  EXPECT_NE(error(Kind::kBatteryMode, R"({"mode":"discharge-window","until":"2024-08-12T17:00:00+09:00",)"
                                      R"("power_kw":100})")
                .find("from"),
            std::string::npos);
  auto reserve = ParseCommandBody(Kind::kBackupReserve, R"({"soc_pct":30})", "kim");
  ASSERT_TRUE(reserve);
  EXPECT_EQ(reserve->soc_pct, 30);
  EXPECT_NE(error(Kind::kBackupReserve, R"({"soc_pct":120})").find("0..100"), std::string::npos);
}

TEST(RequestBodyTest, DrCallBodies) {
  auto call = ParseDrCallBody(
      R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":200,"kind":"test",)"
      R"("issued":"2024-08-12T13:00:00+09:00"})",
      "kim");
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->kind, "test");
  EXPECT_EQ(call->requested_kw, 200);
  EXPECT_EQ(call->user, "kim");
  ASSERT_TRUE(call->issued.has_value());
  EXPECT_EQ(call->end - call->start, std::chrono::hours(2));
  auto plain =
      ParseDrCallBody(R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":1})",
                      "kim");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->kind, "reliability");
  EXPECT_FALSE(plain->issued.has_value());
  EXPECT_FALSE(
      ParseDrCallBody(R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":0})",
                      "kim"));
  EXPECT_FALSE(
      ParseDrCallBody(R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":2e6})",
                      "kim"));
  EXPECT_FALSE(ParseDrCallBody(
      R"({"start":"2024-08-12T14:00:00+09:00","end":"2024-08-12T16:00:00+09:00","requested_kw":5,"issued":7})", "kim"));
}

}  // namespace
}  // namespace meg
