#include "common/status.h"

#include <catch2/catch.hpp>
#include <memory>
#include <set>

namespace stillpost {
namespace {

Status Fails() { return NotFoundError("no post x/1"); }
Status Chain() {
  SP_RETURN_IF_ERROR(Fails());
  return InternalError("not reached");
}

TEST_CASE("status: ok by default, code and message otherwise") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "ok");
  Status nf = NotFoundError("no post x/1");
  CHECK_FALSE(nf.ok());
  CHECK(nf.code() == StatusCode::kNotFound);
  CHECK(nf.ToString() == "not found: no post x/1");
  CHECK(nf.WithContext("show").message() == "show: no post x/1");
}

Result<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgumentError(std::to_string(n) + " is odd");
  return n / 2;
}
Result<int> Quarter(int n) {
  SP_ASSIGN_OR_RETURN(int half, Half(n));
  SP_ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}

TEST_CASE("status: SP_ASSIGN_OR_RETURN passes the value on or returns the error") {
  REQUIRE(Quarter(12));
  CHECK(*Quarter(12) == 3);
  CHECK(Quarter(6).error().message() == "3 is odd");
  CHECK(Quarter(7).error().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("status: every code has its own name") {
  const StatusCode codes[] = {StatusCode::kOk,
                              StatusCode::kInvalidArgument,
                              StatusCode::kNotFound,
                              StatusCode::kAlreadyExists,
                              StatusCode::kFailedPrecondition,
                              StatusCode::kPermissionDenied,
                              StatusCode::kDeadlineExceeded,
                              StatusCode::kUnavailable,
                              StatusCode::kResourceExhausted,
                              StatusCode::kDataLoss,
                              StatusCode::kInternal};
  std::set<std::string_view> names;
  for (StatusCode c : codes) {
    CHECK(StatusCodeName(c) != "unknown");
    names.insert(StatusCodeName(c));
  }
  CHECK(names.size() == std::size(codes));
  CHECK(FailedPreconditionError("x").ToString() == "failed precondition: x");
  CHECK(PermissionDeniedError("x").code() == StatusCode::kPermissionDenied);
}

TEST_CASE("status: SP_RETURN_IF_ERROR returns the first failure") {
  CHECK(Chain().code() == StatusCode::kNotFound);
}

TEST_CASE("result: holds a value or an error, move-only values work") {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  REQUIRE(r.has_value());
  CHECK(**r == 7);
  std::unique_ptr<int> taken = std::move(r).value();
  CHECK(*taken == 7);

  Result<int> e(DataLossError("corrupt"));
  CHECK_FALSE(e);
  CHECK(e.error().code() == StatusCode::kDataLoss);
  CHECK(e.status().message() == "corrupt");
}

}  // namespace
}  // namespace stillpost
