// The store's rules for a post's state, without RocksDB: archive/detail/post_state.h.
#include "archive/detail/post_state.h"

#include <google/protobuf/util/time_util.h>

#include <catch2/catch.hpp>

namespace stillpost::archive::detail {
namespace {

using google::protobuf::util::TimeUtil;
using proto::PostState;

Observation Live(int64_t at) {
  Observation o;
  o.at = TimeUtil::MicrosecondsToTimestamp(at);
  o.whole = true;
  return o;
}
Observation Gone(int64_t at, proto::Tombstone::Kind kind = proto::Tombstone::KIND_DELETED) {
  Observation o;
  o.at = TimeUtil::MicrosecondsToTimestamp(at);
  o.gone_kind = kind;
  return o;
}
int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

// Applies `o`, requiring success.
Applied Apply(const Observation& o, PostState& h, proto::StoreCounters& c) {
  auto a = ApplyCapture("x/20", o, h, c);
  REQUIRE(a);
  return *a;
}

TEST_CASE("post state: a first live capture makes a live post, counted once") {
  PostState h;
  proto::StoreCounters c;
  const Applied a = Apply(Live(1000), h, c);
  CHECK(a.change == StateChange::kFirstSeen);
  CHECK(a.becomes_latest);
  CHECK_FALSE(a.demote_previous);
  CHECK(h.current() == PostState::CURRENT_LIVE);
  CHECK(Micros(h.first_seen()) == 1000);
  CHECK(Micros(h.latest_good_at()) == 1000);
  CHECK(Micros(h.last_checked()) == 1000);
  CHECK(h.capture_count() == 1);
  CHECK_FALSE(h.has_gone_since());
  CHECK(c.posts() == 1);
  CHECK(c.captures() == 1);
  CHECK(c.never_whole() == 0);
}

TEST_CASE("post state: live, gone, still gone, restored") {
  PostState h;
  proto::StoreCounters c;
  Apply(Live(1000), h, c);

  Applied a = Apply(Gone(2000), h, c);
  CHECK(a.change == StateChange::kWentGone);
  CHECK_FALSE(a.becomes_latest);
  CHECK_FALSE(a.demote_previous);  // the latest good capture stays: embeds still show it
  CHECK(h.current() == PostState::CURRENT_GONE);
  CHECK(Micros(h.gone_since()) == 2000);
  CHECK(h.gone_kind() == proto::Tombstone::KIND_DELETED);
  CHECK(Micros(h.latest_good_at()) == 1000);

  // A confirming re-check keeps the streak's start, and takes the newest kind.
  a = Apply(Gone(3000, proto::Tombstone::KIND_SUSPENDED), h, c);
  CHECK(a.change == StateChange::kStillGone);
  CHECK(Micros(h.gone_since()) == 2000);
  CHECK(h.gone_kind() == proto::Tombstone::KIND_SUSPENDED);
  CHECK(Micros(h.last_checked()) == 3000);

  a = Apply(Live(4000), h, c);
  CHECK(a.change == StateChange::kRestored);
  CHECK(a.becomes_latest);
  CHECK(a.demote_previous);
  CHECK(a.previous_latest_at == 1000);
  CHECK(h.current() == PostState::CURRENT_LIVE);
  CHECK_FALSE(h.has_gone_since());
  CHECK(h.gone_kind() == proto::Tombstone::KIND_UNSPECIFIED);
  CHECK(Micros(h.latest_good_at()) == 4000);
  CHECK(Micros(h.first_seen()) == 1000);
  CHECK(h.capture_count() == 4);
  CHECK(c.posts() == 1);
  CHECK(c.captures() == 4);
}

TEST_CASE("post state: a second live capture demotes the first to its own slot") {
  PostState h;
  proto::StoreCounters c;
  Apply(Live(1000), h, c);
  const Applied a = Apply(Live(5000), h, c);
  CHECK(a.change == StateChange::kStillLive);
  CHECK(a.demote_previous);
  CHECK(a.previous_latest_at == 1000);
  CHECK(Micros(h.latest_good_at()) == 5000);
}

TEST_CASE("post state: posts only ever seen gone are counted apart until captured whole") {
  PostState h;
  proto::StoreCounters c;
  Apply(Gone(1000, proto::Tombstone::KIND_NOT_FOUND), h, c);
  CHECK(c.posts() == 1);
  CHECK(c.never_whole() == 1);
  CHECK_FALSE(h.has_latest_good_at());
  CHECK(Micros(h.gone_since()) == 1000);

  Apply(Gone(2000, proto::Tombstone::KIND_NOT_FOUND), h, c);
  CHECK(c.never_whole() == 1);  // the same post, still never whole

  const Applied a = Apply(Live(3000), h, c);
  CHECK(a.change == StateChange::kRestored);
  CHECK_FALSE(a.demote_previous);  // there was no latest good capture to move
  CHECK(c.never_whole() == 0);
  CHECK(c.posts() == 1);

  // Once whole, a later tombstone does not make it "never whole" again.
  Apply(Gone(4000), h, c);
  CHECK(c.never_whole() == 0);
}

TEST_CASE("post state: captures arrive in time order, and a refused one changes nothing") {
  PostState h;
  proto::StoreCounters c;
  Apply(Live(2000), h, c);
  const PostState before = h;
  const proto::StoreCounters counters_before = c;

  auto same = ApplyCapture("x/20", Live(2000), h, c);
  REQUIRE_FALSE(same);
  CHECK(same.error().code() == StatusCode::kAlreadyExists);

  auto older = ApplyCapture("x/20", Gone(1000), h, c);
  REQUIRE_FALSE(older);
  CHECK(older.error().code() == StatusCode::kFailedPrecondition);
  CHECK(older.error().message().find("older than its newest capture") != std::string::npos);

  CHECK(h.SerializeAsString() == before.SerializeAsString());
  CHECK(c.SerializeAsString() == counters_before.SerializeAsString());
}

TEST_CASE("post state: compacted headers expand to what they were") {
  PostState h;
  proto::StoreCounters c;
  Apply(Live(1000), h, c);
  PostState stored = h;
  CompactHeader(stored);
  CHECK_FALSE(stored.has_first_seen());      // equal to last_checked: left out
  CHECK_FALSE(stored.has_latest_good_at());  // likewise
  ExpandHeader(stored, /*has_latest=*/true);
  CHECK(stored.SerializeAsString() == h.SerializeAsString());

  // Times that differ are kept as they are.
  Apply(Gone(2000), h, c);
  stored = h;
  CompactHeader(stored);
  CHECK(stored.has_first_seen());
  CHECK(stored.has_latest_good_at());
  ExpandHeader(stored, /*has_latest=*/true);
  CHECK(stored.SerializeAsString() == h.SerializeAsString());

  // A post never captured whole has no latest good time to put back.
  PostState never;
  Apply(Gone(1000), never, c);
  stored = never;
  CompactHeader(stored);
  ExpandHeader(stored, /*has_latest=*/false);
  CHECK_FALSE(stored.has_latest_good_at());
  CHECK(stored.SerializeAsString() == never.SerializeAsString());
}

}  // namespace
}  // namespace stillpost::archive::detail
