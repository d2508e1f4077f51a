// Test helpers: a temporary directory removed on scope exit, and REQUIRE_OK for Status/Result.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "common/status.h"

namespace stillpost::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "stillpost-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace stillpost::testing

// Fails the test with the status message when `expr` (a Status or Result) is not ok.
#define REQUIRE_OK(expr)                                                      \
  do {                                                                        \
    const ::stillpost::Status sp_req_ = ::stillpost::testing::StatusOf(expr); \
    INFO(sp_req_.ToString());                                                 \
    REQUIRE(sp_req_.ok());                                                    \
  } while (false)
