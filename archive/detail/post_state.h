// The store's rules for a post's state, as a pure function over records: what one capture does
// to the post's PostState header and to the store's counters. No RocksDB here; the store reads
// the records, applies these rules and writes what they say in one batch. Unit-tested in
// tests/unit/archive/post_state_test.cc.
//
// The rules:
// - Captures of a post arrive in time order: one at the newest capture's time is
//   AlreadyExists, an older one FailedPrecondition.
// - A capture holding the post makes it live: it becomes the latest good capture (kept beside
//   the state, one read for the embed path); the previous latest good capture moves to its own
//   slot. Any gone streak ends (restored).
// - A tombstone makes the post gone; `gone_since` is the first capture of the streak, and stays
//   as re-checks confirm it. The latest good capture is kept: embeds still show the post.
// - Counters: posts (every post known), never_whole (posts only ever seen gone: known, not
//   archived), captures.
//
// Thread safety: pure functions; the caller owns the records.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "stillpost.pb.h"

namespace stillpost::archive::detail {

// What a capture says about its post, as the rules need it.
struct Observation {
  google::protobuf::Timestamp at;  // captured_at
  bool whole = false;              // holds the post (else a tombstone)
  proto::Tombstone::Kind gone_kind = proto::Tombstone::KIND_UNSPECIFIED;  // when not whole
};

// What the post's state did.
enum class StateChange {
  kFirstSeen,  // the post's first capture (live or gone)
  kStillLive,  // live before and after (perhaps edited: the archiver compares contents)
  kWentGone,   // live before, gone now: a gone streak starts
  kStillGone,  // gone before and after: the streak goes on
  kRestored,   // gone before, live now
};

// What the store must write besides the header and counters.
struct Applied {
  StateChange change = StateChange::kFirstSeen;
  // The capture becomes the latest good one, kept beside the state; its slot in the captures
  // column family holds an empty marker.
  bool becomes_latest = false;
  // The previous latest good capture moves from beside the state to its own slot, at this time.
  bool demote_previous = false;
  int64_t previous_latest_at = 0;
};

// Applies one capture of post `key` to its header (capture_count 0: a post not seen before)
// and the store's counters. On error nothing is changed:
//   AlreadyExists       a capture at the newest capture's time
//   FailedPrecondition  a capture older than the newest one
Result<Applied> ApplyCapture(std::string_view key, const Observation& capture,
                             proto::PostState& header, proto::StoreCounters& counters);

// Most posts are captured once: their three times are equal. The stored header leaves out the
// ones equal to last_checked (CompactHeader), and readers put them back (ExpandHeader;
// `has_latest`: a latest good capture is stored beside the header).
void CompactHeader(proto::PostState& header);
void ExpandHeader(proto::PostState& header, bool has_latest);

}  // namespace stillpost::archive::detail
