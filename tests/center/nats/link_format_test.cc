#include "center/nats/link_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "center/nats/nats_config.h"
#include "center/setpoint_command.h"

namespace meg {
namespace {

using ::meg::testing::SetpointCommand;

Instant At(std::int64_t ms) { return Instant{Millis{ms}}; }
constexpr std::int64_t kT = 1723438805000;  // 2024-08-12T05:00:05Z

TEST(LinkFormatTest, TelemetryRoundTripKeepsBadSamplesAsNull) {
  TelemetryMessage m{"jeonju", At(kT + 7), TelemetryOrigin::kLive, {}};
  m.samples.push_back({"grid_kw", "kW", At(kT), 123.5, SampleQuality::kGood});
  m.samples.push_back({"soc_pct", "%", At(kT), std::numeric_limits<double>::quiet_NaN(), SampleQuality::kBad});
  const std::string text = EncodeTelemetry(m);
  EXPECT_NE(text.find("[\"soc_pct\",1723438805000,null,1]"), std::string::npos) << text;
  auto back = DecodeTelemetry("jeonju", text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->sent, At(kT + 7));
  ASSERT_EQ(back->samples.size(), 2u);
  EXPECT_EQ(back->samples[0], m.samples[0]);
  EXPECT_EQ(back->samples[1].unit, "%");
  EXPECT_TRUE(std::isnan(back->samples[1].value));
}

TEST(LinkFormatTest, TelemetryChecks) {
  // The payload's site must be the subject's.
  TelemetryMessage m{"a", At(kT), TelemetryOrigin::kBackfill, {{"grid_kw", "kW", At(kT), 1, SampleQuality::kGood}}};
  EXPECT_FALSE(DecodeTelemetry("b", EncodeTelemetry(m)));
  EXPECT_TRUE(DecodeTelemetry("a", EncodeTelemetry(m)));
  EXPECT_FALSE(DecodeTelemetry("a", "not json"));
  EXPECT_FALSE(DecodeTelemetry("a", "[1,2]"));
  EXPECT_FALSE(DecodeTelemetry("a", R"({"v":2,"site":"a"})"));
  // A good sample without a value, a point without a unit, a time before 2000, a bad quality.
  EXPECT_FALSE(DecodeTelemetry(
      "a",
      R"({"v":1,"site":"a","sent_ms":1723438805000,"origin":"live","units":{"x":"kW"},"s":[["x",1723438805000,null,0]]})"));
  EXPECT_FALSE(DecodeTelemetry(
      "a", R"({"v":1,"site":"a","sent_ms":1723438805000,"origin":"live","units":{},"s":[["x",1723438805000,1,0]]})"));
  EXPECT_FALSE(DecodeTelemetry(
      "a", R"({"v":1,"site":"a","sent_ms":1723438805000,"origin":"live","units":{"x":"kW"},"s":[["x",5,1,0]]})"));
  EXPECT_FALSE(DecodeTelemetry(
      "a",
      R"({"v":1,"site":"a","sent_ms":1723438805000,"origin":"live","units":{"x":"kW"},"s":[["x",1723438805000,1,7]]})"));
  // Larger than the link's bound.
  EXPECT_FALSE(DecodeTelemetry("a", std::string(kMaxLinkMessageBytes + 1, ' ')));
}

TEST(LinkFormatTest, SubjectsAndIds) {
  EXPECT_EQ(UpSubject("a", UpKind::kTelemetry), "meg.a.tm");
  EXPECT_EQ(UpSubject("a", UpKind::kBill), "meg.a.bill");
  EXPECT_EQ(UpSubject("a", UpKind::kSchedule), "meg.a.sched");
  auto sched = ParseUpSubject("meg.a.sched");
  ASSERT_TRUE(sched);
  EXPECT_EQ(sched->second, UpKind::kSchedule);
  EXPECT_EQ(CommandSubject("a"), "meg.a.cmd");
  EXPECT_EQ(ResultSubject("a", "c1"), "meg.a.res.c1");
  auto p = ParseUpSubject("meg.site-1.evt");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, "site-1");
  EXPECT_EQ(p->second, UpKind::kEvents);
  EXPECT_FALSE(ParseUpSubject("meg.a.cmd"));
  EXPECT_FALSE(ParseUpSubject("meg.a.b.tm"));
  EXPECT_EQ(UpMsgId("a", UpKind::kTelemetry, At(1000), At(2000), 40), "a.tm.1000-2000-40");
  EXPECT_TRUE(ValidLinkToken("cnu-eng_1"));
  EXPECT_FALSE(ValidLinkToken("a.b"));
  EXPECT_FALSE(ValidLinkToken("*"));
  EXPECT_FALSE(ValidLinkToken(""));
}

TEST(LinkFormatTest, EventsBillsCommandsRoundTrip) {
  EventsMessage e{"a", At(kT), {Event{At(kT), "a", "fail-safe", Severity::kAlarm, "meter stale 5 s"}}};
  auto ev = DecodeEvents("a", EncodeEvents(e));
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->events, e.events);

  BillMessage b{"a", At(kT),
                StoredBill{"a", Month{std::chrono::year{2024}, std::chrono::month{8}}, R"({"total_krw":1})"}};
  auto bill = DecodeBill("a", EncodeBill(b));
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->bill, b.bill);

  ScheduleMessage s{"a", At(kT), StoredSchedule{"a", At(kT - 900000), R"({"source":"planner:mpc","battery_kw":12.5})"}};
  auto sched = DecodeSchedule("a", EncodeSchedule(s));
  ASSERT_TRUE(sched) << sched.error().message;
  EXPECT_EQ(sched->schedule, s.schedule);
  EXPECT_FALSE(DecodeSchedule("b", EncodeSchedule(s)));  // the payload's site is not the subject's
  EXPECT_FALSE(DecodeSchedule("a", R"({"v":1,"site":"a","sent_ms":1,"schedule":"{}"})"));  // no made_ms

  CommandMessage c{"c1", "a", At(kT), At(kT + 60000), SetpointCommand(-50, 15, "kim")};
  auto cmd = DecodeCommand("a", EncodeCommand(c));
  ASSERT_TRUE(cmd) << cmd.error().message;
  EXPECT_EQ(cmd->expires, At(kT + 60000));
  const auto& op = std::get<OperatorCommand>(cmd->body);
  EXPECT_EQ(op.kind, OperatorCommand::Kind::kSetpoint);
  EXPECT_EQ(op.battery_kw, -50);
  EXPECT_EQ(op.user, "kim");
  EXPECT_FALSE(DecodeCommand("b", EncodeCommand(c)));

  // A driver's word on a charging session crosses the link whole.
  OperatorCommand word;
  word.kind = OperatorCommand::Kind::kEvSession;
  word.user = "kim";
  word.charger = "p1-03";
  word.connector = 2;
  word.energy_kwh = 24.5;
  word.departure = At(kT + 8 * 3600000);
  c.body = word;
  cmd = DecodeCommand("a", EncodeCommand(c));
  ASSERT_TRUE(cmd) << cmd.error().message;
  const auto& car = std::get<OperatorCommand>(cmd->body);
  EXPECT_EQ(car.kind, OperatorCommand::Kind::kEvSession);
  EXPECT_EQ(car.charger, "p1-03");
  EXPECT_EQ(car.connector, 2);
  EXPECT_EQ(car.energy_kwh, 24.5);
  EXPECT_EQ(car.departure, At(kT + 8 * 3600000));

  // An operator's battery mode and backup reserve cross the link whole (issue 21 item 5).
  OperatorCommand mode;
  mode.kind = OperatorCommand::Kind::kBatteryMode;
  mode.user = "kim";
  mode.mode = "charge-to";
  mode.until = At(kT + 3 * 3600000);
  mode.soc_pct = 75;
  c.body = mode;
  cmd = DecodeCommand("a", EncodeCommand(c));
  ASSERT_TRUE(cmd) << cmd.error().message;
  const auto& m = std::get<OperatorCommand>(cmd->body);
  EXPECT_EQ(m.kind, OperatorCommand::Kind::kBatteryMode);
  EXPECT_EQ(m.mode, "charge-to");
  EXPECT_EQ(m.from, Instant{}) << "unset: from when it arrives";
  EXPECT_EQ(m.until, At(kT + 3 * 3600000));
  EXPECT_EQ(m.soc_pct, 75);
  OperatorCommand reserve;
  reserve.kind = OperatorCommand::Kind::kBackupReserve;
  reserve.user = "kim";
  reserve.soc_pct = 30;
  c.body = reserve;
  cmd = DecodeCommand("a", EncodeCommand(c));
  ASSERT_TRUE(cmd) << cmd.error().message;
  EXPECT_EQ(std::get<OperatorCommand>(cmd->body).kind, OperatorCommand::Kind::kBackupReserve);
  EXPECT_EQ(std::get<OperatorCommand>(cmd->body).soc_pct, 30);

  OperatorCommand call;
  call.kind = OperatorCommand::Kind::kEvCharger;
  call.user = "kim";
  call.charger = "p1-03";
  call.connector = 1;
  call.action = "remote-start";
  call.id_tag = "TAG-7";
  c.body = call;
  cmd = DecodeCommand("a", EncodeCommand(c));
  ASSERT_TRUE(cmd) << cmd.error().message;
  const auto& back_call = std::get<OperatorCommand>(cmd->body);
  EXPECT_EQ(back_call.kind, OperatorCommand::Kind::kEvCharger);
  EXPECT_EQ(back_call.action, "remote-start");
  EXPECT_EQ(back_call.id_tag, "TAG-7");
  EXPECT_EQ(back_call.charger, "p1-03");

  DrCallRequest dr;
  dr.start = At(kT + 3600000);
  dr.end = At(kT + 7200000);
  dr.requested_kw = 100;
  dr.user = "kpx";
  c.body = dr;
  cmd = DecodeCommand("a", EncodeCommand(c));
  ASSERT_TRUE(cmd) << cmd.error().message;
  const auto& back = std::get<DrCallRequest>(cmd->body);
  EXPECT_EQ(back.start, dr.start);
  EXPECT_FALSE(back.issued.has_value());
  EXPECT_EQ(back.requested_kw, 100);

  const CommandResult r{"c1", false, "expired 5 ms ago"};
  auto rr = DecodeCommandResult(EncodeCommandResult(r));
  ASSERT_TRUE(rr);
  EXPECT_EQ(*rr, r);
}

TEST(NatsConfigTest, SiteUsersAreLimitedToTheirSubjects) {
  NatsServerSettings s;
  s.port = 4333;
  s.store_dir = "/tmp/js";
  s.center_password = "cpw";
  s.sites = {{"a", "apw"}, {"b", "bpw"}};
  auto text = NatsServerConfig(s);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find("listen: \"127.0.0.1:4333\""), std::string::npos);
  EXPECT_NE(text->find("store_dir: \"/tmp/js\""), std::string::npos);
  EXPECT_NE(text->find(R"(publish: {allow: ["meg.a.tm", "meg.a.evt", "meg.a.bill", "meg.a.sched", "meg.a.res.>")"),
            std::string::npos)
      << *text;
  EXPECT_NE(text->find(R"(subscribe: {allow: ["_INBOX_b.>"]})"), std::string::npos);
  s.sites.push_back({"center", "x"});
  EXPECT_FALSE(NatsServerConfig(s));
  s.sites.back() = {"a", "x"};
  EXPECT_FALSE(NatsServerConfig(s));
  s.sites.back() = {"c", "pw\"injected"};
  EXPECT_FALSE(NatsServerConfig(s));
  s.sites.back() = {"c.d", "x"};
  EXPECT_FALSE(NatsServerConfig(s));
}

}  // namespace
}  // namespace meg
