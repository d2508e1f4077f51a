// serve --recheck and --jetstream: a deletion found by the scheduler, confirmed, announced once
// in the Atom feed and once by a signed webhook; a 429's wait honoured to the second with each
// platform's headers; a circuit that opens after three 429s and closes; a Jetstream delete acted
// on within 2 s; the Jetstream cursor resumed after a restart. Real server, CLI, replay.
#include <curl/curl.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "archive/store.h"
#include "common/sha256.h"
#include "common/time.h"
#include "tests/support/archive_env.h"
#include "tests/support/fixtures.h"
#include "tests/support/serve.h"

namespace stillpost {
namespace {

namespace json = boost::json;
using testing::ServeProcess;
using Clock = std::chrono::steady_clock;

const std::string kGargron = "mastodon/mastodon.social/103270115826048975";
const std::string kGargronUrl = "https://mastodon.social/@Gargron/103270115826048975";
const std::string kGargronApi = "https://mastodon.social/api/v1/statuses/103270115826048975";
const std::string kX = "x/1641086480675225601";
const std::string kXApi = "https://cdn.syndication.twimg.com/tweet-result?id=1641086480675225601";
const std::string kDid = "did:plc:z7ja7uhcr5is6uqmnsjyn3k7";
const std::string kImages = "bsky/" + kDid + "/3lhmggpkbw22v";
const std::string kImagesThread =
    "https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri=at://" + kDid +
    "/app.bsky.feed.post/3lhmggpkbw22v";
const std::string kImagesUri = "at://" + kDid + "/app.bsky.feed.post/3lhmggpkbw22v";
const std::string kGetPosts = "https://public.api.bsky.app/xrpc/app.bsky.feed.getPosts";
const std::string kVideoDid = "did:plc:l7mosai5i2u562b5qbosw6c7";
const std::string kVideo = "bsky/" + kVideoDid + "/3lhnr2o6kb22h";
const std::string kVideoUri = "at://" + kVideoDid + "/app.bsky.feed.post/3lhnr2o6kb22h";
const std::string kVideoThread =
    "https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri=at://" + kVideoDid +
    "/app.bsky.feed.post/3lhnr2o6kb22h";
constexpr const char* kSecret = "newsroom-webhook-secret";

size_t Collect(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

std::string Get(const std::string& url, long* status = nullptr) {
  testing::HttpResult r = testing::HttpGetter().Get(url);
  if (status != nullptr) *status = r.status;
  return r.body;
}

long Post(const std::string& url, const std::string& body) {
  CURL* e = curl_easy_init();
  std::string sink;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
  long code = 0;
  if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(e);
  return code;
}

// Polls `done` every 50 ms until it holds or `limit` passes; whether it held.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The value of one series in a Prometheus text.
double Metric(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + series.size() + 2));
}

// The replay's log of requests to `host`: (Unix ms, status).
// Only those from `since_ms` on (after the CLI's own archive run).
std::vector<std::pair<int64_t, int>> Requests(const testing::ReplayServer& replay,
                                              const std::string& host, int64_t since_ms) {
  std::vector<std::pair<int64_t, int>> out;
  const json::value log = json::parse(Get(replay.base() + "/_replay/log?host=" + host));
  for (const auto& line : log.as_array()) {
    const auto& o = line.as_object();
    const std::string target(o.at("target").as_string());
    if (target.find("/avatar") != std::string::npos || target.find("/media") != std::string::npos ||
        target.find("/img/") != std::string::npos) {
      continue;  // media hosts are other buckets; the post's own requests only
    }
    if (o.at("ms").as_int64() < since_ms) continue;
    out.emplace_back(o.at("ms").as_int64(), static_cast<int>(o.at("status").as_int64()));
  }
  return out;
}

std::vector<proto::Capture> CapturesOf(const std::string& db, const std::string& key) {
  auto store = archive::Store::OpenReadOnly(db, {});
  if (!store) return {};
  auto captures = (*store)->Captures(key);
  return captures ? *captures : std::vector<proto::Capture>{};
}

std::vector<std::string> ServeFlags(const testing::ReplayServer& replay,
                                    std::vector<std::string> extra) {
  std::vector<std::string> flags = {"--upstream", replay.upstream_flag(),
                                    "--allow-private-upstreams", "--backoff-ms", "50"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

TEST_CASE(
    "recheck: a deletion is found by the scheduler, confirmed, announced once in Atom and once by "
    "a signed webhook") {
  testing::ArchiveEnv env;
  const std::string page = env.dir.Sub("story.html");
  std::ofstream(page) << "<html><head><title>Story</title></head><body><article><h1>Story</h1>"
                         "<p>A paragraph long enough to be the article's text, quoting a post "
                         "that matters to the story.</p><blockquote><a href=\""
                      << kGargronUrl << "\">the post</a></blockquote></article></body></html>";
  auto archived = env.Archive({page});
  INFO(archived.out << archived.err);
  REQUIRE(archived.exit_code == 0);
  const std::string hooks = env.replay.base() + "/_hooks/newsroom";
  REQUIRE(Post(env.replay.base() + "/_replay/webhook-fail?times=1", "") == 200);
  ServeProcess serve(
      env.db, ServeFlags(env.replay, {"--recheck", "--recheck-every", "1s", "--recheck-jitter", "0",
                                      "--webhook", hooks, "--webhook-secret", kSecret}));
  // Live: checked every second, nothing stored, nothing announced.
  REQUIRE(WaitFor([&] { return env.replay.Hits(kGargronApi) >= 3; }, std::chrono::seconds(10)));
  CHECK(CapturesOf(env.db, kGargron).size() == 1);
  CHECK(Count(Get(serve.base() + "/feeds/changes.atom"), "<entry>") == 0);

  REQUIRE(env.replay.Admin("gone", kGargronApi, "as=404") == 200);
  const auto gone_at = Clock::now();
  REQUIRE(WaitFor([&] { return Count(Get(serve.base() + "/feeds/changes.atom"), "<entry>") == 1; },
                  std::chrono::seconds(20)));
  const double seconds_to_announce = std::chrono::duration<double>(Clock::now() - gone_at).count();
  // Checked a few more times while confirmed gone: still one entry.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string atom = Get(serve.base() + "/feeds/changes.atom");
  INFO(atom);
  CHECK(Count(atom, "<entry>") == 1);
  // Mastodon answers a deleted status with a bare 404: "not found".
  CHECK(atom.find("<category term=\"not found\"/>") != std::string::npos);
  CHECK(atom.find("<title>" + kGargron + " not found</title>") != std::string::npos);
  CHECK(atom.find("href=\"" + serve.base() + "/embed/" + kGargron + "\"") != std::string::npos);
  CHECK(atom.find("file://" + page) != std::string::npos);  // the article that embeds it
  // One article's feed has it; an unknown article is a 404.
  const std::string one = Get(serve.base() + "/feeds/changes.atom?article=file://" + page);
  CHECK(Count(one, "<entry>") == 1);
  long status = 0;
  Get(serve.base() + "/feeds/changes.atom?article=https://nowhere.example/a", &status);
  CHECK(status == 404);

  // Every observation is a capture: the first "gone" and both confirmations, with triggers.
  const auto captures = CapturesOf(env.db, kGargron);
  REQUIRE(captures.size() >= 4);
  CHECK(captures[1].has_tombstone());
  CHECK(captures[1].trigger() == "recheck");
  CHECK(captures[2].trigger() == "confirmation 1 of 2");
  CHECK(captures[3].trigger() == "confirmation 2 of 2");

  // The webhook: the first attempt got a 500, the retry a 204; the same signed body both times.
  REQUIRE(WaitFor(
      [&] { return Count(Get(env.replay.base() + "/_replay/webhooks"), "\"answered\":204") == 1; },
      std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const json::value got = json::parse(Get(env.replay.base() + "/_replay/webhooks"));
  const json::array& hooks_got = got.as_array();
  REQUIRE(hooks_got.size() == 2);
  for (const auto& h : hooks_got) {
    const auto& o = h.as_object();
    const std::string body(o.at("body").as_string());
    CHECK(std::string(o.at("signature").as_string()) == "sha256=" + HmacSha256Hex(kSecret, body));
    CHECK(std::string(o.at("content_type").as_string()) == "application/json");
    const json::value parsed = json::parse(body);
    const json::object& event = parsed.as_object();
    CHECK(std::string(event.at("key").as_string()) == kGargron);
    CHECK(std::string(event.at("transition").as_string()) == "not found");
    CHECK(std::string(event.at("embed_url").as_string()) == serve.base() + "/embed/" + kGargron);
    REQUIRE(event.at("articles").as_array().size() == 1);
    CHECK(std::string(event.at("articles").as_array()[0].as_string()) == "file://" + page);
    CHECK(ParseTime(std::string(event.at("time").as_string())).has_value());
  }
  CHECK(hooks_got[0].as_object().at("answered").as_int64() == 500);
  CHECK(hooks_got[1].as_object().at("answered").as_int64() == 204);
  CHECK(hooks_got[0].as_object().at("event") == hooks_got[1].as_object().at("event"));

  // Back: announced as restored, once.
  REQUIRE(env.replay.Admin("restore", kGargronApi) == 200);
  REQUIRE(WaitFor([&] { return Count(Get(serve.base() + "/feeds/changes.atom"), "<entry>") == 2; },
                  std::chrono::seconds(10)));
  const std::string metrics = Get(serve.base() + "/metrics");
  INFO(metrics);
  CHECK(
      Metric(
          metrics,
          "stillpost_recheck_transitions_total{platform=\"mastodon\",transition=\"not found\"}") ==
      1);
  CHECK(Metric(
            metrics,
            "stillpost_recheck_transitions_total{platform=\"mastodon\",transition=\"restored\"}") ==
        1);
  CHECK(Metric(metrics, "stillpost_recheck_scheduled") == 1);
  CHECK(Metric(metrics, "stillpost_webhook_deliveries_total{result=\"failed_attempt\"}") == 1);
  CHECK(Metric(metrics, "stillpost_webhook_deliveries_total{result=\"delivered\"}") >= 1);
  CHECK(Metric(metrics, "stillpost_webhook_outbox") >= 0);
  WARN("from the replay's 404 to the Atom entry: " << seconds_to_announce << " s");

  // A restart keeps the announcements and the schedule: the post is checked again, nothing new
  // is announced.
  REQUIRE(serve.Stop().first == 0);
  const long hits = env.replay.Hits(kGargronApi);
  ServeProcess again(env.db, ServeFlags(env.replay, {"--recheck", "--recheck-every", "1s",
                                                     "--recheck-jitter", "0"}));
  REQUIRE(
      WaitFor([&] { return env.replay.Hits(kGargronApi) >= hits + 2; }, std::chrono::seconds(10)));
  CHECK(Count(Get(again.base() + "/feeds/changes.atom"), "<entry>") == 2);
}

TEST_CASE(
    "recheck: a 429's wait is honoured to the second, with X's Retry-After and Mastodon's "
    "X-RateLimit-Reset") {
  testing::ArchiveEnv env;
  auto archived = env.Archive({kX, kGargron});
  INFO(archived.out << archived.err);
  REQUIRE(archived.out.find("2 posts: 2 captured") != std::string::npos);
  // X: a bare Retry-After of 3 s. Mastodon: X-RateLimit-* only, the reset 2 s ahead (ISO 8601).
  REQUIRE(env.replay.Admin("fault", kXApi, "kind=429&retry_after=3") == 200);
  REQUIRE(env.replay.Admin("fault", kGargronApi, "kind=429&as=mastodon&retry_after=2") == 200);
  const int64_t since = NowMicros() / 1000;
  ServeProcess serve(env.db, ServeFlags(env.replay, {"--recheck", "--recheck-every", "1s",
                                                     "--recheck-jitter", "0"}));
  for (const auto& [host, wait_ms] : std::vector<std::pair<std::string, int64_t>>{
           {"cdn.syndication.twimg.com", 3000}, {"mastodon.social", 2000}}) {
    std::vector<std::pair<int64_t, int>> log;
    REQUIRE(WaitFor(
        [&] {
          log = Requests(env.replay, host, since);
          return log.size() >= 2;
        },
        std::chrono::seconds(20)));
    INFO(host);
    REQUIRE(log[0].second == 429);
    CHECK(log[1].second == 200);
    const int64_t waited = log[1].first - log[0].first;
    CHECK(waited >= wait_ms);
    CHECK(waited < wait_ms + 1000);
    WARN(host << ": asked again " << waited << " ms after a 429 that asked for " << wait_ms);
  }
  const std::string metrics = Get(serve.base() + "/metrics");
  CHECK(Metric(metrics, "stillpost_host_rate_limited_total{host=\"mastodon.social\"}") == 1);
  CHECK(Metric(metrics, "stillpost_host_rate_limited_total{host=\"cdn.syndication.twimg.com\"}") ==
        1);
}

TEST_CASE(
    "recheck: Bluesky posts are checked 25 to a getPosts request, and one left out is fetched on "
    "its own") {
  testing::ArchiveEnv env;
  auto archived = env.Archive({kImagesUri, kVideoUri});
  INFO(archived.out << archived.err);
  REQUIRE(archived.out.find("2 posts: 2 captured") != std::string::npos);
  const int64_t since = NowMicros() / 1000;
  ServeProcess serve(env.db, ServeFlags(env.replay, {"--recheck", "--recheck-every", "1s",
                                                     "--recheck-jitter", "0"}));
  const std::string host = "public.api.bsky.app";
  const auto targets = [&] {
    std::vector<std::string> out;
    const json::value log = json::parse(Get(env.replay.base() + "/_replay/log?host=" + host));
    for (const auto& line : log.as_array()) {
      if (line.as_object().at("ms").as_int64() >= since) {
        out.emplace_back(line.as_object().at("target").as_string());
      }
    }
    return out;
  };
  REQUIRE(WaitFor([&] { return targets().size() >= 3; }, std::chrono::seconds(10)));
  for (const auto& t : targets()) {
    INFO(t);
    // Both posts in one request, none asked on its own: they are unchanged.
    CHECK(t.find("/xrpc/app.bsky.feed.getPosts?") != std::string::npos);
    CHECK(Count(t, "uris=") == 2);
  }
  CHECK(CapturesOf(env.db, kImages).size() == 1);
  // Deleted: the AppView leaves it out; its own getPostThread says NotFound, a capture.
  REQUIRE(env.replay.Admin("gone", kImagesThread, "as=xrpc-notfound") == 200);
  REQUIRE(
      WaitFor([&] { return CapturesOf(env.db, kImages).size() >= 2; }, std::chrono::seconds(10)));
  CHECK(CapturesOf(env.db, kImages)[1].has_tombstone());
  size_t threads = 0;
  for (const auto& t : targets()) {
    if (t.find("getPostThread") != std::string::npos) {
      ++threads;
      CHECK(t.find("3lhmggpkbw22v") != std::string::npos);
    }
  }
  CHECK(threads >= 1);
  CHECK(CapturesOf(env.db, kVideo).size() == 1);
}

TEST_CASE("recheck: three 429s in a row open a host's circuit, which closes after --circuit-open") {
  testing::ArchiveEnv env;
  REQUIRE(env.Archive({kImagesUri}).exit_code == 0);
  // Re-checks of Bluesky posts go 25 to a getPosts request: the faults are on it.
  REQUIRE(env.replay.Admin("fault", kGetPosts, "kind=429&as=bluesky&retry_after=1&times=3") == 200);
  const int64_t since = NowMicros() / 1000;
  ServeProcess serve(
      env.db, ServeFlags(env.replay, {"--recheck", "--recheck-every", "1s", "--recheck-jitter", "0",
                                      "--rate-limit-wait", "1s", "--rate-limit-backoff-max", "1s",
                                      "--circuit-open", "4s"}));
  const std::string host = "public.api.bsky.app";
  std::vector<std::pair<int64_t, int>> log;
  REQUIRE(WaitFor(
      [&] {
        log = Requests(env.replay, host, since);
        return log.size() >= 3;
      },
      std::chrono::seconds(20)));
  std::string metrics = Get(serve.base() + "/metrics");
  INFO(metrics);
  CHECK(Metric(metrics, "stillpost_host_circuit_open{host=\"" + host + "\"}") == 1);
  REQUIRE(WaitFor(
      [&] {
        log = Requests(env.replay, host, since);
        return log.size() >= 4;
      },
      std::chrono::seconds(20)));
  CHECK(log[0].second == 429);
  CHECK(log[1].second == 429);
  CHECK(log[2].second == 429);
  CHECK(log[3].second == 200);
  // Open for 4 s from the third 429: nothing asked meanwhile.
  CHECK(log[3].first - log[2].first >= 4000);
  CHECK(log[3].first - log[2].first < 5500);
  REQUIRE(WaitFor(
      [&] {
        metrics = Get(serve.base() + "/metrics");
        return Metric(metrics, "stillpost_host_circuit_open{host=\"" + host + "\"}") == 0;
      },
      std::chrono::seconds(5)));
  CHECK(Metric(metrics, "stillpost_host_circuit_opened_total{host=\"" + host + "\"}") == 1);
  WARN("circuit: third 429 to next request " << log[3].first - log[2].first << " ms");
}

// Jetstream's real delete event (tests/fixtures/upstream/jetstream/golden_v1.jsonl, line 6) with
// the DID, collection and rkey of an archived post, at `time_us`.
std::string DeleteEvent(const std::string& did, const std::string& rkey, int64_t time_us) {
  std::ifstream in(std::string(STILLPOST_FIXTURES) + "/upstream/jetstream/golden_v1.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("\"operation\":\"delete\"") != std::string::npos) break;
  }
  json::object e = json::parse(line).as_object();
  e["did"] = did;
  e["time_us"] = time_us;
  auto& commit = e["commit"].as_object();
  commit["collection"] = "app.bsky.feed.post";
  commit["rkey"] = rkey;
  return json::serialize(e);
}

TEST_CASE(
    "jetstream: a delete of an archived post is acted on within 2 s, and the cursor resumes after "
    "a restart") {
  testing::ArchiveEnv env;
  auto archived = env.Archive({kImagesUri, kVideoUri});
  INFO(archived.out << archived.err);
  REQUIRE(archived.out.find("2 posts: 2 captured") != std::string::npos);
  const std::vector<std::string> flags =
      ServeFlags(env.replay, {"--jetstream", "wss://jetstream2.us-east.bsky.network/subscribe"});
  const std::string subscriptions = env.replay.base() + "/_replay/jetstream/subscriptions";
  int64_t first_time = 0;
  {
    ServeProcess serve(env.db, flags);
    REQUIRE(WaitFor([&] { return json::parse(Get(subscriptions)).as_array().size() == 1; },
                    std::chrono::seconds(10)));
    const json::value subs = json::parse(Get(subscriptions));
    const std::string target(subs.as_array()[0].as_object().at("target").as_string());
    INFO(target);
    CHECK(target.rfind("/jetstream2.us-east.bsky.network/subscribe?", 0) == 0);
    CHECK(target.find("wantedCollections=app.bsky.feed.post") != std::string::npos);
    CHECK(target.find("wantedDids=" + kDid) != std::string::npos);
    CHECK(target.find("wantedDids=" + kVideoDid) != std::string::npos);
    CHECK(target.find("cursor=") == std::string::npos);  // nothing read yet: live

    // Jetstream's real events (not ours, or not posts' deletes) are read and ignored.
    std::ifstream in(std::string(STILLPOST_FIXTURES) + "/upstream/jetstream/golden_v1.jsonl");
    for (std::string line; std::getline(in, line);) {
      REQUIRE(Post(env.replay.base() + "/_replay/jetstream", line) == 200);
    }
    REQUIRE(env.replay.Admin("gone", kImagesThread, "as=xrpc-notfound") == 200);
    first_time = NowMicros();
    const auto sent = Clock::now();
    REQUIRE(Post(env.replay.base() + "/_replay/jetstream",
                 DeleteEvent(kDid, "3lhmggpkbw22v", first_time)) == 200);
    REQUIRE(
        WaitFor([&] { return CapturesOf(env.db, kImages).size() == 2; }, std::chrono::seconds(5)));
    const double acted = std::chrono::duration<double>(Clock::now() - sent).count();
    CHECK(acted < 2.0);
    const auto captures = CapturesOf(env.db, kImages);
    CHECK(captures[1].has_tombstone());
    CHECK(captures[1].trigger() == "jetstream delete at " + FormatRfc3339(first_time));
    // A Jetstream delete that a fetch agrees with is announced at once.
    REQUIRE(
        WaitFor([&] { return Count(Get(serve.base() + "/feeds/changes.atom"), "<entry>") == 1; },
                std::chrono::seconds(5)));
    const std::string metrics = Get(serve.base() + "/metrics");
    CHECK(Metric(metrics, "stillpost_jetstream_acted_total") == 1);
    CHECK(Metric(metrics, "stillpost_jetstream_connected") == 1);
    WARN("jetstream delete to capture: " << acted << " s");
    REQUIRE(serve.Stop().first == 0);
  }
  // While the server is down, the other post is deleted; on restart it resumes from the cursor.
  REQUIRE(env.replay.Admin("gone", kVideoThread, "as=xrpc-notfound") == 200);
  REQUIRE(Post(env.replay.base() + "/_replay/jetstream",
               DeleteEvent(kVideoDid, "3lhnr2o6kb22h", NowMicros())) == 200);
  ServeProcess again(env.db, flags);
  REQUIRE(WaitFor([&] { return json::parse(Get(subscriptions)).as_array().size() == 2; },
                  std::chrono::seconds(10)));
  const json::value subs = json::parse(Get(subscriptions));
  const std::string target(subs.as_array()[1].as_object().at("target").as_string());
  INFO(target);
  CHECK(target.find("cursor=" + std::to_string(first_time)) != std::string::npos);
  REQUIRE(WaitFor([&] { return CapturesOf(env.db, kVideo).size() == 2; }, std::chrono::seconds(5)));
  CHECK(CapturesOf(env.db, kVideo)[1].trigger().rfind("jetstream delete at ", 0) == 0);
}

}  // namespace
}  // namespace stillpost
