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
