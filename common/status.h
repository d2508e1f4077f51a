// Status and Result<T>: how stillpost modules report success or failure across their boundaries.
// A function that can fail returns Status (nothing else to return) or Result<T> (a value or a
// Status). Result is spelled like std::expected: has_value(), value(), error(), operator*.
// Foreign errors (RocksDB, curl, protobuf) are translated into these once, where they happen.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace stillpost {

// The canonical codes, after absl::StatusCode. Each means one thing; pick the first that fits,
// and when two seem to, ask what the caller should do next.
enum class StatusCode {
  kOk = 0,
  // The caller's input is malformed whatever the state of the world: a bad URL, key, flag or
  // JSON body. Retrying the same input never helps. Not for a well-formed input the current
  // state refuses (FailedPrecondition) or one a policy forbids (PermissionDenied).
  kInvalidArgument,
  // The thing asked for does not exist: an unknown post, blob, article or store. For a lookup
  // that may legitimately come back empty; the caller usually shows "not archived".
  kNotFound,
  // A write would overwrite something that must not be overwritten (a capture at the same time).
  kAlreadyExists,
  // The input is well-formed but the system is not in the state the operation needs, and
  // retrying will not help until that state changes: a capture older than the post's newest
  // one, a store opened read-only asked to write. Unlike Unavailable, do not simply retry.
  kFailedPrecondition,
  // A policy refuses the operation whatever the input's form: the address guard refusing a
  // private or reserved address, a missing or wrong credential. Not for malformed input.
  kPermissionDenied,
  // A deadline passed before the work finished (a post's timeout, a stalled transfer). The work
  // may be retried later.
  kDeadlineExceeded,
  // Transient: try again later, perhaps elsewhere. A lock held by another process, a server
  // down, a 5xx, a connection refused.
  kUnavailable,
  // A size cap or quota was hit: a body over its limit, a rate limit (429), a full disk. Retry
  // only with less or later.
  kResourceExhausted,
  // Stored data is corrupt or incomplete (a checksum mismatch, an unparsable record). Never for
  // bad upstream bytes, which are InvalidArgument of the fetch: upstreams are input.
  kDataLoss,
  // A bug or an unexpected failure of a dependency (an exception caught at a boundary). The
  // message is for the log, not the user.
  kInternal,
};
// "ok", "invalid argument", ... for messages.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "not found: no post x/1" ; "ok" when ok.
  std::string ToString() const;

  // Prefixes the message with context: "reading x/1: " + message.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status PermissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value of T, or the Status that explains why there is none. Never holds an ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(v_).ok() && "Result built from an ok Status");
  }

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; only valid when !has_value().
  const Status& error() const { return std::get<1>(v_); }
  // Ok when there is a value, else the error.
  Status status() const { return has_value() ? Status::Ok() : error(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace stillpost

// Returns the Status of an expression from the enclosing function when it is not ok.
#define SP_RETURN_IF_ERROR(expr)                                     \
  do {                                                               \
    if (::stillpost::Status sp_status_ = (expr); !sp_status_.ok()) { \
      return sp_status_;                                             \
    }                                                                \
  } while (false)

#define SP_STATUS_CONCAT_INNER(a, b) a##b
#define SP_STATUS_CONCAT(a, b) SP_STATUS_CONCAT_INNER(a, b)

// Evaluates `rexpr` (a Result<T>); when it holds an error, returns that error from the
// enclosing function, else moves the value into `lhs`, which may declare a variable:
//   SP_ASSIGN_OR_RETURN(proto::Capture c, store.LatestGood(key));
//   SP_ASSIGN_OR_RETURN(auto blob, store.GetBlob(sha));
#define SP_ASSIGN_OR_RETURN(lhs, rexpr) \
  SP_ASSIGN_OR_RETURN_IMPL(SP_STATUS_CONCAT(sp_result_, __LINE__), lhs, rexpr)
#define SP_ASSIGN_OR_RETURN_IMPL(result, lhs, rexpr) \
  auto result = (rexpr);                             \
  if (!result.has_value()) return result.error();    \
  lhs = std::move(*result)
