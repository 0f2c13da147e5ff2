// OCPP-J framing and payloads, from the OCPP-J 1.6 specification's examples (§4.2) and the
// OCPP 1.6 message definitions.
#include "device/ocpp/ocpp_frame.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meg {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(OcppFrameTest, ReadsTheThreeMessageTypesOfTheSpec) {
  // OCPP-J 1.6 §4.2.1's example CALL.
  auto call = ParseOcppFrame(
      R"([2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}])");
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->type, OcppMessageType::kCall);
  EXPECT_EQ(call->id, "19223201");
  EXPECT_EQ(call->action, "BootNotification");
  auto boot = ReadOcppBootNotification(call->payload);
  ASSERT_TRUE(boot);
  EXPECT_EQ(boot->vendor, "VendorX");
  EXPECT_EQ(boot->model, "SingleSocketCharger");

  // §4.2.2's CALLRESULT and §4.2.3's CALLERROR.
  auto result =
      ParseOcppFrame(R"([3,"19223201",{"currentTime":"2013-02-01T20:53:32.486Z","interval":300,"status":"Accepted"}])");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->type, OcppMessageType::kCallResult);
  EXPECT_EQ(result->payload["interval"], 300);
  auto error = ParseOcppFrame(R"([4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}])");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, OcppMessageType::kCallError);
  EXPECT_EQ(error->error_code, "NotSupported");
  EXPECT_EQ(error->error_description, "SetDisplayMessageRequest not implemented");
}

TEST(OcppFrameTest, RefusesWhatIsNotAFrameWithTheReason) {
  const auto why = [](std::string_view text) {
    auto f = ParseOcppFrame(text);
    return f ? std::string("accepted") : f.error().message;
  };
  EXPECT_THAT(why("{"), HasSubstr("not JSON"));
  EXPECT_THAT(why(R"({"a":1})"), HasSubstr("not an OCPP-J array"));
  EXPECT_THAT(why(R"([5,"1",{}])"), HasSubstr("2, 3 or 4"));
  EXPECT_THAT(why(R"(["2","1","Heartbeat",{}])"), HasSubstr("2, 3 or 4"));
  EXPECT_THAT(why(R"([2,1,"Heartbeat",{}])"), HasSubstr("unique id is not a string"));
  EXPECT_THAT(why(R"([2,"","Heartbeat",{}])"), HasSubstr("1..36"));
  EXPECT_THAT(why("[2,\"" + std::string(37, 'x') + "\",\"Heartbeat\",{}]"), HasSubstr("37 characters"));
  EXPECT_THAT(why(R"([2,"1","Heartbeat",[]])"), HasSubstr("payload is not a JSON object"));
  EXPECT_THAT(why(R"([2,"1","Heartbeat"])"), HasSubstr("CALL is not"));  // 3 elements: a CALL has 4
  EXPECT_THAT(why(R"([3,"1",{},{}])"), HasSubstr("CALLRESULT is not"));
  EXPECT_THAT(why(R"([4,"1","GenericError"])"), HasSubstr("CALLERROR is not"));
  EXPECT_THAT(why(std::string(kMaxOcppFrameBytes + 1, ' ')), HasSubstr("larger than 65536 bytes"));
}

TEST(OcppFrameTest, MeterValuesAreReadInTheirUnits) {
  const json p = json::parse(R"({"connectorId":1,"transactionId":7,"meterValue":[
    {"timestamp":"2026-12-06T01:00:00.000Z","sampledValue":[{"value":"1500"},
                                                            {"value":"7.4","measurand":"Power.Active.Import","unit":"kW"},
                                                            {"value":"2300","measurand":"Power.Active.Import","unit":"W","phase":"L1"},
                                                            {"value":"61","measurand":"SoC","unit":"Percent"},
                                                            {"value":"16","measurand":"Current.Import","unit":"A"}]},
    {"timestamp":"2026-12-06T01:15:00.250Z","sampledValue":[{"value":"3.35","measurand":"Energy.Active.Import.Register","unit":"kWh"},
                                                            {"value":"7400","measurand":"Power.Active.Import","unit":"W"}]}]})");
  auto m = ReadOcppMeterValues(p);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->connector, 1);
  EXPECT_EQ(m->transaction_id, 7);
  ASSERT_EQ(m->samples.size(), 2u);
  // No measurand: the energy register (OCPP 1.6 §7.31's default), no unit: Wh.
  EXPECT_DOUBLE_EQ(m->samples[0].energy->value(), 1.5);
  EXPECT_DOUBLE_EQ(m->samples[0].power->value(), 7.4);  // the L1 value is a phase's, not the total
  EXPECT_DOUBLE_EQ(*m->samples[0].soc_pct, 61);
  EXPECT_EQ(m->samples[0].time, ParseIso8601Millis("2026-12-06T01:00:00Z").value());
  EXPECT_DOUBLE_EQ(m->samples[1].energy->value(), 3.35);
  EXPECT_DOUBLE_EQ(m->samples[1].power->value(), 7.4);
  EXPECT_EQ(m->samples[1].time - m->samples[0].time, Millis(15 * 60 * 1000 + 250));
}

TEST(OcppFrameTest, MeterValuesThatCannotBeReadAreRefused) {
  const auto why = [](const char* text) {
    auto m = ReadOcppMeterValues(json::parse(text));
    return m ? std::string("accepted") : m.error().message;
  };
  EXPECT_THAT(why(R"({"meterValue":[]})"), HasSubstr("'connectorId' is missing"));
  EXPECT_THAT(why(R"({"connectorId":1,"meterValue":[]})"), HasSubstr("non-empty array"));
  EXPECT_THAT(why(R"({"connectorId":-1,"meterValue":[]})"), HasSubstr("out of range"));
  EXPECT_THAT(why(R"({"connectorId":1,"meterValue":[{"timestamp":"yesterday","sampledValue":[{"value":"1"}]}]})"),
              HasSubstr("'timestamp'"));
  EXPECT_THAT(
      why(R"({"connectorId":1,"meterValue":[{"timestamp":"2026-12-06T01:00:00Z","sampledValue":[{"value":"1e999"}]}]})"),
      HasSubstr("not a number"));
  EXPECT_THAT(
      why(R"({"connectorId":1,"meterValue":[{"timestamp":"2026-12-06T01:00:00Z","sampledValue":[{"value":"1","unit":"MWh"}]}]})"),
      HasSubstr("unit 'MWh' (Wh or kWh expected)"));
}

TEST(OcppFrameTest, TransactionsAreReadInKwh) {
  auto start = ReadOcppStartTransaction(
      json::parse(R"({"connectorId":2,"idTag":"04E8F2","meterStart":123456,"timestamp":"2026-12-06T09:00:00Z"})"));
  ASSERT_TRUE(start) << start.error().message;
  EXPECT_EQ(start->connector, 2);
  EXPECT_EQ(start->id_tag, "04E8F2");
  EXPECT_DOUBLE_EQ(start->meter_start.value(), 123.456);
  auto stop = ReadOcppStopTransaction(json::parse(
      R"({"transactionId":9,"meterStop":130000,"timestamp":"2026-12-06T11:00:00Z","reason":"EVDisconnected"})"));
  ASSERT_TRUE(stop);
  EXPECT_DOUBLE_EQ(stop->meter_stop.value(), 130.0);
  EXPECT_EQ(stop->reason, "EVDisconnected");
  // OCPP 1.6: connectorId of a transaction is > 0; idTag is at most 20 characters.
  EXPECT_FALSE(ReadOcppStartTransaction(
      json::parse(R"({"connectorId":0,"idTag":"a","meterStart":0,"timestamp":"2026-12-06T09:00:00Z"})")));
  EXPECT_FALSE(ReadOcppStartTransaction(json::parse(
      R"({"connectorId":1,"idTag":"123456789012345678901","meterStart":0,"timestamp":"2026-12-06T09:00:00Z"})")));
  EXPECT_FALSE(
      ReadOcppStopTransaction(json::parse(R"({"transactionId":9,"meterStop":-1,"timestamp":"2026-12-06T11:00:00Z"})")));
}

TEST(OcppFrameTest, AChargingProfileHoldsTheLimitFlooredToATenthOfAnAmpere) {
  // 16.09 A is sent as 16.0 A: rounding must never lift a limit.
  const json p = OcppChargingProfile(1, 42, 7, 16.09, 3);
  EXPECT_EQ(p["connectorId"], 1);
  const json& cp = p["csChargingProfiles"];
  EXPECT_EQ(cp["chargingProfileId"], 7);
  EXPECT_EQ(cp["transactionId"], 42);
  EXPECT_EQ(cp["chargingProfilePurpose"], "TxProfile");
  EXPECT_EQ(cp["chargingProfileKind"], "Relative");
  EXPECT_EQ(cp["chargingSchedule"]["chargingRateUnit"], "A");
  EXPECT_DOUBLE_EQ(cp["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"].get<double>(), 16.0);
  EXPECT_EQ(cp["chargingSchedule"]["chargingSchedulePeriod"][0]["numberPhases"], 3);
  const json d = OcppChargingProfile(0, std::nullopt, 1, 6, 1);
  EXPECT_EQ(d["csChargingProfiles"]["chargingProfilePurpose"], "TxDefaultProfile");
  EXPECT_FALSE(d["csChargingProfiles"].contains("transactionId"));
  EXPECT_DOUBLE_EQ(OcppChargingProfile(
                       1, 1, 1, -3, 3)["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
                       .get<double>(),
                   0.0);
}

TEST(OcppFrameTest, WritesFramesAndTimesAsTheSpecDoes) {
  EXPECT_EQ(OcppCallText("cs1", "Heartbeat", json::object()), R"([2,"cs1","Heartbeat",{}])");
  EXPECT_EQ(OcppResultText("7", {{"status", "Accepted"}}), R"([3,"7",{"status":"Accepted"}])");
  EXPECT_EQ(OcppErrorText("7", "NotImplemented", "no"), R"([4,"7","NotImplemented","no",{}])");
  // Invalid UTF-8 quoted from a peer stays valid JSON.
  EXPECT_TRUE(json::accept(OcppErrorText("7", "FormationViolation", "bad \xff byte")));
  EXPECT_EQ(OcppTime(ParseIso8601Millis("2026-12-06T10:15:00.042Z").value()), "2026-12-06T10:15:00.042Z");
  EXPECT_EQ(OcppTime(Instant{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace meg
