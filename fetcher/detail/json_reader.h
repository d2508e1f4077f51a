// Reading upstream JSON field by field: a missing or null field is empty, a field of the wrong
// type fails the whole mapping with InvalidArgument naming it ("upstream JSON: tweet.user.name is
// not a string"). Shared by the X, Mastodon and Bluesky mappers.
#pragma once

#include <algorithm>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/numbers.h"
#include "common/status.h"

namespace stillpost::fetcher::detail {

namespace json = boost::json;

// Reads fields of one JSON object, remembering the first field of the wrong type.
class Reader {
 public:
  Reader(const json::object* obj, std::string path, Status* error)
      : obj_(obj), path_(std::move(path)), error_(error) {}

  bool ok() const { return error_->ok(); }
  const std::string& path() const { return path_; }

  const json::value* Get(std::string_view key) const {
    if (obj_ == nullptr) return nullptr;
    const json::value* v = obj_->if_contains(key);
    return v == nullptr || v->is_null() ? nullptr : v;
  }

  std::string String(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return "";
    if (!v->is_string()) {
      Bad(key, "a string");
      return "";
    }
    return std::string(v->as_string());
  }

  bool Bool(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return false;
    if (!v->is_bool()) {
      Bad(key, "true or false");
      return false;
    }
    return v->as_bool();
  }

  // A non-negative integer, possibly written as a string ("editable_until_msecs": "1680..."),
  // clamped to kMaxCount: no count, size or time in milliseconds is larger, and sums and
  // percentages of counts stay far from overflow.
  static constexpr uint64_t kMaxCount = 1'000'000'000'000'000;  // 10^15
  std::optional<uint64_t> Count(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return std::nullopt;
    std::optional<uint64_t> n;
    if (v->is_uint64()) {
      n = v->as_uint64();
    } else if (v->is_int64() && v->as_int64() >= 0) {
      n = static_cast<uint64_t>(v->as_int64());
    } else if (v->is_double() && v->as_double() >= 0) {
      n = v->as_double() < 1e18 ? static_cast<uint64_t>(v->as_double()) : kMaxCount;
    } else if (v->is_string()) {
      const std::string_view s = v->as_string();
      // Digits beyond uint64 are a count that large: clamped below, like any number.
      if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
        n = ParseDigits(s).value_or(kMaxCount);
      }
    }
    if (!n) {
      Bad(key, "a non-negative number");
      return std::nullopt;
    }
    return std::min(*n, kMaxCount);
  }

  Reader Object(std::string_view key) const {
    const json::value* v = Get(key);
    if (v != nullptr && !v->is_object()) Bad(key, "an object");
    return Reader(v != nullptr && v->is_object() ? &v->as_object() : nullptr,
                  path_ + "." + std::string(key), error_);
  }

  // A list; an empty object stands for an empty list (seen in the wild: "hashtags": {}).
  const json::array* Array(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return nullptr;
    if (v->is_array()) return &v->as_array();
    if (v->is_object() && v->as_object().empty()) return nullptr;
    Bad(key, "a list");
    return nullptr;
  }

  bool present() const { return obj_ != nullptr; }
  Status* error() const { return error_; }
  const json::object* object() const { return obj_; }

  void Bad(std::string_view key, std::string_view expected) const {
    if (error_->ok()) {
      *error_ = InvalidArgumentError("upstream JSON: " + path_ + "." + std::string(key) +
                                     " is not " + std::string(expected));
    }
  }

 private:
  const json::object* obj_;
  std::string path_;
  Status* error_;
};

// Pixels of an image or video side: more than any real media has (a 99999999999-pixel width once
// wrapped to 1215752191) is unknown, 0.
inline constexpr uint64_t kMaxPixels = 1 << 16;
inline uint32_t Dimension(std::optional<uint64_t> v) {
  return v && *v <= kMaxPixels ? static_cast<uint32_t>(*v) : 0u;
}

// The objects of a list, each with its path ("status.media_attachments[2]"); other elements are
// a type error.
template <typename F>
void ForEachObject(const Reader& r, std::string_view key, F&& f) {
  const json::array* a = r.Array(key);
  if (a == nullptr) return;
  for (size_t i = 0; i < a->size() && r.ok(); ++i) {
    const json::value& v = (*a)[i];
    if (!v.is_object()) {
      r.Bad(std::string(key) + "[" + std::to_string(i) + "]", "an object");
      return;
    }
    f(Reader(&v.as_object(), r.path() + "." + std::string(key) + "[" + std::to_string(i) + "]",
             r.error()));
  }
}

}  // namespace stillpost::fetcher::detail
