#include "common/time.h"

#include <catch2/catch.hpp>

namespace stillpost {
namespace {

TEST_CASE("time: RFC 3339 formatting, with a fraction only when there is one") {
  CHECK(FormatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339(1499442660000000) == "2017-07-07T15:51:00Z");
  CHECK(FormatRfc3339(1499442660250000) == "2017-07-07T15:51:00.250Z");
  CHECK(FormatRfc3339(1499442660000250) == "2017-07-07T15:51:00.000250Z");
  CHECK(FormatDate(1499442660000000) == "2017-07-07");
  CHECK(FormatRfc3339(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(FormatRfc3339(253402300799000000) == "9999-12-31T23:59:59Z");
}

TEST_CASE("time: parsing accepts Z, offsets, fractions and bare microseconds") {
  CHECK(ParseTime("2017-07-07T15:51:00Z").value() == 1499442660000000);
  CHECK(ParseTime("2017-07-07T15:51:00.250Z").value() == 1499442660250000);
  CHECK(ParseTime("2023-03-29T14:34:41.000Z").value() == 1680100481000000);
  CHECK(ParseTime("2017-07-07T17:51:00+02:00").value() == 1499442660000000);
  CHECK(ParseTime("2017-07-07T15:51:00.123456789Z").value() == 1499442660123456);
  CHECK(ParseTime("1499442660000000").value() == 1499442660000000);
  for (int64_t t : {int64_t{0}, int64_t{951782400000000}, int64_t{1700000000123456}}) {
    CHECK(ParseTime(FormatRfc3339(t)).value() == t);
  }
}

TEST_CASE("time: malformed times are refused") {
  for (const char* s : {"", "yesterday", "2017-07-07", "2017-13-01T00:00:00Z",
                        "2017-02-30T00:00:00Z", "2017-07-07T15:51:00", "2017-07-07T15:51:00Zjunk",
                        "2017-07-07T25:00:00Z", "2017-07-07T15:51:00.Z", "-5"}) {
    INFO(s);
    auto r = ParseTime(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE("time: times a protobuf Timestamp cannot hold are refused, not passed on") {
  // Each of these once aborted the process (TimeUtil's CHECK) or threw (std::stoll).
  for (const char* s :
       {"0000-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00", "0000-12-31T23:59:59+00:00",
        "99999999999999999999", "9999999999999999999", "253402300800000000"}) {
    INFO(s);
    auto r = ParseTime(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == StatusCode::kInvalidArgument);
    CHECK(r.error().message().find("out of range") != std::string::npos);
  }
  CHECK(ParseTime("9999-12-31T23:59:59Z").value() == 253402300799000000);
  CHECK(ParseTime("0001-01-01T00:00:00Z").value() == -62135596800000000);
  CHECK(ParseTime("9999-12-31T23:59:59+01:00").has_value());
  CHECK(ParseTime("253402300799999999").value() == 253402300799999999);
  CHECK(InTimeRange(0));
  CHECK_FALSE(InTimeRange(-62135596800000001));
}

TEST_CASE("time: impossible calendar dates are refused") {
  for (const char* s : {"2024-02-30T00:00:00Z", "2023-02-29T12:00:00Z", "2024-04-31T00:00:00Z",
                        "2024-00-10T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-01T24:00:00Z",
                        "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z"}) {
    INFO(s);
    CHECK_FALSE(ParseTime(s).has_value());
  }
  CHECK(ParseTime("2024-02-29T00:00:00Z").has_value());  // a leap day
}

}  // namespace
}  // namespace stillpost
