// The server's parts below the routes: the LRU caches, the Status -> HTTP mapping, metrics and
// the parsed query.
#include <atomic>
#include <boost/url/parse.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/detail/http_status.h"
#include "server/detail/lru.h"
#include "server/detail/respond.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "tests/support/temp_dir.h"

namespace stillpost::server {
namespace {

using detail::Lru;

size_t Length(const std::string& s) { return s.size(); }
size_t One(const std::string&) { return 1; }
std::shared_ptr<const std::string> Value(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

TEST_CASE("lru: keeps the most recently used within its budget") {
  Lru<std::string> lru(3, One);
  lru.Put("a", Value("A"));
  lru.Put("b", Value("B"));
  lru.Put("c", Value("C"));
  REQUIRE(lru.Get("a"));     // a is now the most recent
  lru.Put("d", Value("D"));  // evicts b, the least recent
  CHECK(lru.Get("b") == nullptr);
  CHECK(*lru.Get("a") == "A");
  CHECK(*lru.Get("c") == "C");
  CHECK(*lru.Get("d") == "D");
  CHECK(lru.Get("zz") == nullptr);
}

TEST_CASE("lru: a budget in bytes evicts as many as it takes, too large is not kept") {
  Lru<std::string> lru(10, Length);
  lru.Put("a", Value("aaaa"));
  lru.Put("b", Value("bbbb"));
  lru.Put("c", Value("cccccc"));  // 14 > 10: a goes, then 10 fits
  CHECK(lru.Get("a") == nullptr);
  CHECK(lru.Get("b") != nullptr);
  CHECK(lru.Get("c") != nullptr);
  lru.Put("huge", Value(std::string(11, 'x')));
  CHECK(lru.Get("huge") == nullptr);
  CHECK(lru.Get("b") != nullptr);  // nothing was evicted for it
}

TEST_CASE("lru: a value handed out stays valid after its entry is evicted") {
  Lru<std::string> lru(1, One);
  lru.Put("a", Value("kept by the caller"));
  auto held = lru.Get("a");
  lru.Put("b", Value("B"));
  CHECK(lru.Get("a") == nullptr);
  REQUIRE(held);
  CHECK(*held == "kept by the caller");
}

TEST_CASE("lru: with the doorkeeper, a key is kept only when seen a second time") {
  Lru<std::string> lru(4, One, 1, /*admit_on_second_sight=*/true);
  lru.Put("a", Value("A"));
  CHECK(lru.Get("a") == nullptr);  // first sighting: remembered, not kept
  lru.Put("a", Value("A"));
  CHECK(lru.Get("a") != nullptr);
}

TEST_CASE("lru: shards under concurrent use stay within budget and consistent") {
  Lru<std::string> lru(64, One, 16);
  std::vector<std::thread> threads;
  // Catch's assertions are not thread-safe: the threads count, the test checks after.
  std::atomic<int> hits{0}, wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&lru, &hits, &wrong, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string key = "k" + std::to_string((i * 7 + t) % 300);
        if (auto v = lru.Get(key)) {
          ++hits;
          if (*v != key) ++wrong;
        } else {
          lru.Put(key, Value(key));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(hits > 0);
  size_t kept = 0;
  for (int i = 0; i < 300; ++i) kept += lru.Get("k" + std::to_string(i)) != nullptr;
  CHECK(kept <= 64);
  CHECK(kept > 0);
}

TEST_CASE("http status: every Status code maps, each to the status its guidance implies") {
  CHECK(detail::HttpStatusFor(StatusCode::kOk) == 200);
  CHECK(detail::HttpStatusFor(StatusCode::kInvalidArgument) == 400);
  CHECK(detail::HttpStatusFor(StatusCode::kFailedPrecondition) == 400);
  CHECK(detail::HttpStatusFor(StatusCode::kPermissionDenied) == 403);
  CHECK(detail::HttpStatusFor(StatusCode::kNotFound) == 404);
  CHECK(detail::HttpStatusFor(StatusCode::kAlreadyExists) == 409);
  CHECK(detail::HttpStatusFor(StatusCode::kResourceExhausted) == 429);
  CHECK(detail::HttpStatusFor(StatusCode::kDataLoss) == 500);
  CHECK(detail::HttpStatusFor(StatusCode::kInternal) == 500);
  CHECK(detail::HttpStatusFor(StatusCode::kUnavailable) == 503);
  CHECK(detail::HttpStatusFor(StatusCode::kDeadlineExceeded) == 504);
  // Only Ok is a success, and every error is an error status.
  for (int c = 1; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    const int http = detail::HttpStatusFor(static_cast<StatusCode>(c));
    CHECK(http >= 400);
    CHECK(http < 600);
  }
}

TEST_CASE("errors: a client error says why, a server error says nothing and goes to the log") {
  Response nf = detail::Error(NotFoundError("no post x/1 in the archive"));
  CHECK(nf.status == 404);
  CHECK(nf.body == "{\"error\":\"no post x/1 in the archive\"}");
  CHECK(nf.log_error.empty());
  Response dl = detail::Error(DataLossError("store /srv/db is corrupt: block checksum mismatch"));
  CHECK(dl.status == 500);
  CHECK(dl.body == "{\"error\":\"internal error\"}");
  CHECK(dl.log_error == "data loss: store /srv/db is corrupt: block checksum mismatch");
  CHECK(detail::Error(PermissionDeniedError("refused")).status == 403);
}

TEST_CASE("log: access lines escape what the client sent, error lines are one line each") {
  testing::TempDir dir;
  const std::string path = dir.Sub("serve.log");
  {
    auto log = Log::Open(path);
    REQUIRE(log);
    Log::Access a;
    a.client = "192.0.2.7";
    a.method = "GET";
    a.target = "/embed/x/1\"\n\\";
    a.status = 404;
    a.bytes = 12;
    a.user_agent = "agent \"quoted\"";
    a.seconds = 0.25;
    a.route = "embed";
    (*log)->Request(a);
    (*log)->Error("embed: GET /embed/x/1", "data loss: first line\nsecond line");
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("192.0.2.7 - - [", 0) == 0);
  CHECK(lines[0].find("\"GET /embed/x/1\\x22\\x0A\\x5C HTTP/1.1\" 404 12 \"-\" "
                      "\"agent \\x22quoted\\x22\" 0.250000 embed") != std::string::npos);
  CHECK(lines[1].find(" error embed: GET /embed/x/1: data loss: first line second line") !=
        std::string::npos);
  // Off: errors only.
  const std::string quiet = dir.Sub("quiet.log");
  {
    auto log = Log::Open(quiet, /*access=*/false);
    REQUIRE(log);
    (*log)->Request(Log::Access{});
    (*log)->Error("accept", "too many open files");
  }
  std::ifstream q(quiet);
  std::string only;
  std::getline(q, only);
  CHECK(only.find("error accept: too many open files") != std::string::npos);
  CHECK_FALSE(std::getline(q, only));
  CHECK_FALSE(Log::Open(dir.Sub("no/such/dir/log")));
}

TEST_CASE("metrics: requests by route and status, the histogram and the store's figures") {
  Metrics m;
  m.Record("embed", 200, 0.0004, 100);
  m.Record("embed", 200, 0.003, 50);
  m.Record("media", 206, 2.0, 10);
  m.Record("api", 418, 0.0001, 0);       // a status not listed counts as "other"
  m.Record("nonsense", 404, 0.0001, 0);  // an unknown route counts as "other"
  archive::StoreStats stats;
  stats.posts = 7;
  const std::string out = m.Render(stats);
  CHECK(out.find("stillpost_requests_total{route=\"embed\",status=\"200\"} 2\n") !=
        std::string::npos);
  CHECK(out.find("stillpost_requests_total{route=\"media\",status=\"206\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("stillpost_requests_total{route=\"api\",status=\"other\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("stillpost_requests_total{route=\"other\",status=\"404\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("stillpost_request_seconds_bucket{le=\"0.0005\"} 3\n") != std::string::npos);
  CHECK(out.find("stillpost_request_seconds_bucket{le=\"0.005\"} 4\n") != std::string::npos);
  CHECK(out.find("stillpost_request_seconds_bucket{le=\"1\"} 4\n") != std::string::npos);
  CHECK(out.find("stillpost_request_seconds_bucket{le=\"+Inf\"} 5\n") != std::string::npos);
  CHECK(out.find("stillpost_request_seconds_count 5\n") != std::string::npos);
  CHECK(out.find("stillpost_response_bytes_total 160\n") != std::string::npos);
  CHECK(out.find("stillpost_store_posts 7\n") != std::string::npos);
}

TEST_CASE("query: decoded once, first value wins, flags") {
  auto target = boost::urls::parse_origin_form(
      "/embed/x/1?theme=dark&capture=2026-01-01T00:00:00+01:00"
      "&hide_media&hide_thread=0&x=a%20b&theme=light");
  REQUIRE(target);
  const Query q(target->params());
  CHECK_FALSE(q.empty());
  CHECK(q.Get("theme") == "dark");
  CHECK(q.Get("capture") == "2026-01-01T00:00:00 01:00");  // '+' is a space, as forms send it
  CHECK(q.Get("x") == "a b");
  CHECK(q.Get("absent").empty());
  CHECK(q.Flag("hide_media"));
  CHECK_FALSE(q.Flag("hide_thread"));
  CHECK_FALSE(q.Flag("absent"));
  CHECK(Query().empty());
}

}  // namespace
}  // namespace stillpost::server
