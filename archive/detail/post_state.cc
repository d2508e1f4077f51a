#include "archive/detail/post_state.h"

#include <google/protobuf/util/time_util.h>

#include <string>

#include "common/time.h"
#include "proto/time.h"

namespace stillpost::archive::detail {

using proto::MicrosOf;
namespace {

using proto::PostState;

}  // namespace

Result<Applied> ApplyCapture(std::string_view key, const Observation& o, PostState& h,
                             proto::StoreCounters& counters) {
  const bool is_new = h.capture_count() == 0;
  const int64_t t = MicrosOf(o.at);
  if (!is_new) {
    const int64_t last = MicrosOf(h.last_checked());
    if (t == last) {
      return AlreadyExistsError("a capture of " + std::string(key) + " at " + FormatRfc3339(t) +
                                " is stored already");
    }
    if (t < last) {
      return FailedPreconditionError("capture of " + std::string(key) + " at " + FormatRfc3339(t) +
                                     " is older than its newest capture (" + FormatRfc3339(last) +
                                     ")");
    }
  }
  const bool was_gone = h.current() == PostState::CURRENT_GONE;
  Applied a;
  a.change = is_new     ? StateChange::kFirstSeen
             : o.whole  ? (was_gone ? StateChange::kRestored : StateChange::kStillLive)
             : was_gone ? StateChange::kStillGone
                        : StateChange::kWentGone;

  // Posts only ever seen gone (a mistyped id, a post deleted before we came) are counted apart:
  // they are known, not archived.
  if (o.whole && !is_new && !h.has_latest_good_at()) {
    if (counters.never_whole() > 0) counters.set_never_whole(counters.never_whole() - 1);
  } else if (!o.whole && is_new) {
    counters.set_never_whole(counters.never_whole() + 1);
  }
  const google::protobuf::Timestamp& at = o.at;
  if (o.whole) {
    if (h.has_latest_good_at()) {
      a.demote_previous = true;
      a.previous_latest_at = MicrosOf(h.latest_good_at());
    }
    a.becomes_latest = true;
    *h.mutable_latest_good_at() = at;
    h.set_current(PostState::CURRENT_LIVE);
    h.clear_gone_since();
    h.clear_gone_kind();
  } else {
    if (!was_gone) *h.mutable_gone_since() = at;
    h.set_current(PostState::CURRENT_GONE);
    h.set_gone_kind(o.gone_kind);
  }
  if (is_new) {
    *h.mutable_first_seen() = at;
    counters.set_posts(counters.posts() + 1);
  }
  *h.mutable_last_checked() = at;
  h.set_capture_count(h.capture_count() + 1);
  counters.set_captures(counters.captures() + 1);
  return a;
}

void CompactHeader(PostState& h) {
  if (h.has_first_seen() && MicrosOf(h.first_seen()) == MicrosOf(h.last_checked())) {
    h.clear_first_seen();
  }
  if (h.has_latest_good_at() && MicrosOf(h.latest_good_at()) == MicrosOf(h.last_checked())) {
    h.clear_latest_good_at();
  }
}

void ExpandHeader(PostState& h, bool has_latest) {
  if (!h.has_first_seen()) *h.mutable_first_seen() = h.last_checked();
  if (has_latest && !h.has_latest_good_at()) *h.mutable_latest_good_at() = h.last_checked();
}

}  // namespace stillpost::archive::detail
