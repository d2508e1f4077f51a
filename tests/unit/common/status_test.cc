#include "common/status.h"

#include <catch2/catch.hpp>
#include <memory>

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
