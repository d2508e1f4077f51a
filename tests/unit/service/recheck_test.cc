// service/: the scheduler's intervals, Jetstream's events read (its own test data), the
// subscription URL, the webhook signature.
#include <catch2/catch.hpp>
#include <fstream>

#include "service/changes.h"
#include "service/jetstream.h"
#include "service/scheduler.h"

namespace stillpost::service {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_CASE("scheduler: the interval follows the newest article's age, halved when hot, floored") {
  RecheckOptions o;
  CHECK(RecheckInterval(o, hours(2), false) == minutes(15));
  CHECK(RecheckInterval(o, hours(30), false) == hours(1));
  CHECK(RecheckInterval(o, hours(24 * 20), false) == hours(6));
  CHECK(RecheckInterval(o, hours(24 * 200), false) == hours(24 * 7));
  CHECK(RecheckInterval(o, hours(24 * 800), false) == hours(24 * 30));
  CHECK(RecheckInterval(o, hours(30), true) == minutes(30));
  CHECK(RecheckInterval(o, hours(2), true) == minutes(7) + seconds(30));
  o.floor = minutes(10);
  CHECK(RecheckInterval(o, hours(2), true) == minutes(10));
  // --recheck-every: every interval and confirmation delay.
  RecheckOptions every;
  every.SetEvery(seconds(1));
  CHECK(RecheckInterval(every, hours(24 * 800), false) == seconds(1));
  CHECK(every.confirm_after == std::vector<seconds>{seconds(1), seconds(1)});
  CHECK(every.gone_every == seconds(1));
}

TEST_CASE("jetstream: Jetstream's own events are read, and only a post's delete or update acts") {
  std::ifstream in(std::string(STILLPOST_FIXTURES) + "/upstream/jetstream/golden_v1.jsonl");
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    int64_t time_us = 0;
    INFO(line.substr(0, 200));
    CHECK(!ReadJetstreamEvent(line, &time_us));  // creates, other collections, identity, account
    CHECK(time_us > 1'700'000'000'000'000);
  }
  CHECK(lines == 10);
  int64_t t = 0;
  auto a = ReadJetstreamEvent(
      R"({"did":"did:plc:abc","time_us":1779719009153272,"kind":"commit","commit":{"rev":"3mm",)"
      R"("operation":"delete","collection":"app.bsky.feed.post","rkey":"3mmontn3gnc2e"}})",
      &t);
  REQUIRE(a);
  CHECK(a->key == "bsky/did:plc:abc/3mmontn3gnc2e");
  CHECK(a->operation == "delete");
  CHECK(a->time_us == 1779719009153272);
  CHECK(t == 1779719009153272);
  // Hostile shapes: no event, never a key with a slash.
  for (
      const char* bad :
      {"", "[]", "{\"kind\":\"commit\"}", "not json",
       R"({"did":"did:plc:a/b","kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"x"}})",
       R"({"did":"did:plc:a","kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"../x"}})",
       R"({"did":"x","kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"x"}})"}) {
    INFO(bad);
    CHECK(!ReadJetstreamEvent(bad, nullptr));
  }
}

TEST_CASE("jetstream: the subscription URL names the collection, each DID and the cursor") {
  CHECK(JetstreamUrl("wss://jetstream2.us-east.bsky.network/subscribe", {"did:plc:a", "did:plc:b"},
                     0) ==
        "wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post&"
        "wantedDids=did:plc:a&wantedDids=did:plc:b");
  CHECK(JetstreamUrl("ws://h/subscribe", {"did:plc:a"}, 1725911162329308) ==
        "ws://h/subscribe?wantedCollections=app.bsky.feed.post&wantedDids=did:plc:a&"
        "cursor=1725911162329308");
}

TEST_CASE("webhooks: X-Stillpost-Signature is HMAC-SHA256 of the body (RFC 4231 case 2)") {
  CHECK(WebhookSignature("Jefe", "what do ya want for nothing?") ==
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace stillpost::service
