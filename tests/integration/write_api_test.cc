// stillpost serve as the store's writer: the archive API (tokens, malformed input, the body cap,
// jobs), the CLI handing its work to the server, jobs that survive kill -9, watched feeds, the
// config file. Real server, real CLI, upstream-replay.
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include "archive/store.h"
#include "tests/support/archive_env.h"
#include "tests/support/replay.h"
#include "tests/support/run.h"
#include "tests/support/serve.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

namespace json = boost::json;
using testing::ServeProcess;
using Clock = std::chrono::steady_clock;

constexpr const char* kToken = "newsroom-token-0123456789";

struct Answer {
  long status = 0;
  std::string body;
  std::string headers;
};

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One request: POST when `body` is given, with the headers given.
Answer Call(const std::string& url, const std::string* body,
            const std::vector<std::string>& headers = {}) {
  Answer a;
  CURL* e = curl_easy_init();
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Collect);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &a.headers);
  if (body != nullptr) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(e);
  return a;
}

Answer Post(const std::string& url, const std::string& body, const std::string& token = kToken) {
  std::vector<std::string> h = {"Content-Type: application/json"};
  if (!token.empty()) h.push_back("Authorization: Bearer " + token);
  return Call(url, &body, h);
}

Answer GetJob(const std::string& base, const std::string& id, const std::string& token = kToken) {
  return Call(base + "/api/v1/jobs/" + id, nullptr, {"Authorization: Bearer " + token});
}

std::string JobId(const Answer& a) {
  json::value v = json::parse(a.body);
  return std::string(v.as_object().at("job").as_string());
}

// The job once it is done or failed (or after `limit`).
json::object WaitJob(const std::string& base, const std::string& id,
                     std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = Clock::now() + limit;
  json::object job;
  do {
    Answer a = GetJob(base, id);
    if (a.status == 200) {
      job = json::parse(a.body).as_object();
      const std::string state(job.at("state").as_string());
      if (state == "done" || state == "failed") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (Clock::now() < deadline);
  return job;
}

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::vector<std::string> Upstream(const testing::ReplayServer& replay) {
  return {"--upstream", replay.upstream_flag(), "--allow-private-upstreams", "--backoff-ms", "50"};
}

TEST_CASE("archive API: tokens, malformed input, the body cap, a job to its end, embeds at once") {
  testing::TempDir dir;
  testing::ReplayServer replay(testing::ReplayRoot());
  const std::string tokens =
      WriteFile(dir.Sub("tokens"), std::string("# who may archive\nnewsroom:") + kToken + "\n");
  auto args = Upstream(replay);
  args.insert(args.end(), {"--tokens", tokens, "--max-body-bytes", "4096"});
  ServeProcess serve(dir.Sub("db"), args);
  const std::string api = serve.base() + "/api/v1/archive";
  const std::string good = R"({"urls": ["https://x.com/SamuelSusla/status/1641086480675225601"]})";

  CHECK(Post(api, good, "").status == 401);
  CHECK(Post(api, good, "wrong-token-0123456789").status == 401);
  CHECK(Post(api, good, "").headers.find("WWW-Authenticate: Bearer") != std::string::npos);
  for (const std::string bad :
       {"not json", "[1]", R"({"urls": "x/1"})", R"({"urls": []})", R"({"urls": ["nonsense"]})",
        R"({"url": ["x/1"]})", R"({"urls": ["x/1"], "force": "yes"})"}) {
    INFO(bad);
    Answer a = Post(api, bad);
    CHECK(a.status == 400);
    CHECK(json::parse(a.body).as_object().contains("error"));
  }
  CHECK(Post(api, R"({"urls": ["nonsense"]})").body.find("urls[0]: not a post") !=
        std::string::npos);
  CHECK(Post(api, std::string(5000, ' ') + good).status == 413);
  CHECK(Call(api, nullptr, {"Authorization: Bearer " + std::string(kToken)}).status == 405);

  Answer accepted = Post(api, good);
  REQUIRE(accepted.status == 202);
  CHECK(accepted.headers.find("Location: /api/v1/jobs/") != std::string::npos);
  const std::string id = JobId(accepted);
  CHECK(GetJob(serve.base(), id, "").status == 401);
  CHECK(GetJob(serve.base(), "0000000000000000ffffffffffffffff").status == 404);
  json::object job = WaitJob(serve.base(), id);
  const auto done_at = Clock::now();
  REQUIRE(job.at("state").as_string() == "done");
  CHECK(job.at("submitted_by").as_string() == "newsroom");
  const auto& outcomes = job.at("outcomes").as_array();
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].as_object().at("key").as_string() == "x/1641086480675225601");
  CHECK(outcomes[0].as_object().at("outcome").as_string() == "captured");
  // The capture shows in embeds at once: the server reads what it wrote.
  Answer embed = Call(serve.base() + "/embed/x/1641086480675225601", nullptr);
  CHECK(embed.status == 200);
  CHECK(std::chrono::duration<double>(Clock::now() - done_at).count() < 1.0);
  CHECK(embed.body.find("View Flattening") != std::string::npos);

  // The same post again: unchanged, nothing stored; with force a second capture.
  job = WaitJob(serve.base(), JobId(Post(api, good)));
  CHECK(job.at("outcomes").as_array()[0].as_object().at("outcome").as_string() == "unchanged");
  job = WaitJob(serve.base(),
                JobId(Post(api, R"({"urls": ["x/1641086480675225601"], "force": true})")));
  CHECK(job.at("outcomes").as_array()[0].as_object().at("outcome").as_string() == "captured");

  // An article: its posts in order, with their states, at /api/v1/articles.
  const std::string article = "https://www.example-news.test/news/three-networks";
  job = WaitJob(serve.base(), JobId(Post(api, R"({"urls": [")" + article + R"("]})")));
  REQUIRE(job.at("state").as_string() == "done");
  CHECK(job.at("articles").as_array().size() == 1);
  REQUIRE(replay.Admin("gone",
                       "https://cdn.syndication.twimg.com/tweet-result?id=1641086480675225601",
                       "as=404") == 200);
  job = WaitJob(serve.base(),
                JobId(Post(api, R"({"urls": ["x/1641086480675225601"], "recheck": true})")));
  CHECK(job.at("outcomes").as_array()[0].as_object().at("transition").as_string() == "not found");
  Answer a = Call(serve.base() + "/api/v1/articles?url=" + article, nullptr);
  REQUIRE(a.status == 200);
  const json::value view = json::parse(a.body);
  const auto& posts = view.as_object().at("posts").as_array();
  REQUIRE(posts.size() == 3);
  CHECK(posts[0].as_object().at("key").as_string() == "x/1641086480675225601");
  CHECK(posts[0].as_object().at("state").as_string() != "live");
  CHECK(posts[0].as_object().contains("gone_since"));
  CHECK(posts[1].as_object().at("state").as_string() == "live");

  // /metrics counts the jobs and the latency.
  const std::string metrics = Call(serve.base() + "/metrics", nullptr).body;
  CHECK(metrics.find("stillpost_jobs{state=\"done\"} 5") != std::string::npos);
  CHECK(metrics.find("stillpost_job_queue_depth 0") != std::string::npos);
  CHECK(metrics.find("stillpost_archive_seconds_count 7") != std::string::npos);
  CHECK(metrics.find("stillpost_requests_total{route=\"archive\",status=\"401\"}") !=
        std::string::npos);
}

// Output lines without the sizes, which differ between stores that share blobs or not.
std::string Lines(const std::string& out) {
  return std::regex_replace(out, std::regex(R"([0-9.]+ (k|M)?B)"), "SIZE");
}

TEST_CASE("the CLI hands archive and recheck to the server that owns the store, same output") {
  testing::ArchiveEnv env;  // env.db: a store the server owns; a local run in another
  const std::string article = "https://www.example-news.test/news/three-networks";
  testing::TempDir other;
  auto local_args = std::vector<std::string>{"--db",
                                             other.Sub("db"),
                                             "archive",
                                             article,
                                             "--upstream",
                                             env.replay.upstream_flag(),
                                             "--allow-private-upstreams"};
  const auto local = testing::Run(testing::StillpostBinary(), local_args);
  REQUIRE(local.exit_code == 0);
  {
    ServeProcess serve(env.db, Upstream(env.replay));
    // Without --tokens the write routes are off for the network...
    CHECK(Post(serve.base() + "/api/v1/archive", R"({"urls": ["x/1"]})", "").status == 404);
    CHECK(Post(serve.base() + "/api/v1/archive", R"({"urls": ["x/1"]})").status == 404);
    // ... and on for the CLI, whose credential is in the store directory, owner-only.
    const auto file = std::filesystem::path(env.db) / "stillpost-serve.json";
    REQUIRE(std::filesystem::exists(file));
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::group_all) ==
          std::filesystem::perms::none);
    const auto remote = env.Archive({article});
    CHECK(remote.exit_code == 0);
    CHECK(Lines(remote.out) == Lines(local.out));
    INFO(remote.err);
    // What the server captured shows in its embeds, and read-only commands work meanwhile.
    CHECK(Call(serve.base() + "/embed/x/1641086480675225601", nullptr).status == 200);
    const auto show = env.Show("x/1641086480675225601");
    CHECK(show.exit_code == 0);
    CHECK(testing::Run(testing::StillpostBinary(), {"--db", env.db, "stats"}).exit_code == 0);
    // Errors read the same too: an article that cannot be fetched, a malformed input.
    const auto missing = env.Archive({"https://www.example-news.test/news/none"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("fetching https://www.example-news.test/news/none") !=
          std::string::npos);
    const auto usage = env.Archive({"nonsense"});
    CHECK(usage.exit_code == 2);
    // recheck: the posts chosen from the store here, the fetching done there.
    REQUIRE(env.replay.Admin(
                "gone", "https://cdn.syndication.twimg.com/tweet-result?id=1641086480675225601",
                "as=404") == 200);
    const auto recheck = env.Fetch("recheck", {"--article", article});
    CHECK(recheck.exit_code == 0);
    CHECK(recheck.out.find("x/1641086480675225601  not found") != std::string::npos);
    CHECK(recheck.out.find("3 posts: 0 captured, 1 gone, 0 failed, 0 partial, 2 unchanged") !=
          std::string::npos);
    serve.Stop();
    CHECK(!std::filesystem::exists(file));  // a clean stop removes it
  }
  // With no server, the CLI writes the store itself again.
  CHECK(env.Archive({"x/1641895049427550208"}).exit_code == 0);
}

TEST_CASE(
    "jobs are durable: kill -9 mid-job, 20 rounds, each post captured once, none half-stored") {
  const std::vector<std::string> ids = {
      "1629262255744503809", "1641086480675225601", "1641895049427550208", "1684218600456876032",
      "2023357708301455483", "883275154715705344",  "883302522549305344",  "883326060983353344"};
  testing::ReplayServer replay(testing::ReplayRoot());
  std::mt19937 rng(20261201);
  int killed_mid_job = 0;
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    testing::TempDir dir;
    const std::string token_file = WriteFile(dir.Sub("tokens"), std::string("t:") + kToken + "\n");
    auto args = Upstream(replay);
    args.insert(args.end(), {"--tokens", token_file});
    // Slow answers, so that the kill lands while posts are in flight or between them.
    for (const auto& id : ids) {
      REQUIRE(replay.Admin("fault", "https://cdn.syndication.twimg.com/tweet-result?id=" + id,
                           "kind=latency&ms=" + std::to_string(100 + rng() % 400) + "&times=1") ==
              200);
    }
    std::string body = R"({"urls": [)";
    for (size_t i = 0; i < ids.size(); ++i) body += (i ? ",\"x/" : "\"x/") + ids[i] + "\"";
    body += "]}";
    std::string id;
    {
      auto serve = std::make_unique<ServeProcess>(dir.Sub("db"), args);
      Answer a = Post(serve->base() + "/api/v1/archive", body);
      REQUIRE(a.status == 202);
      id = JobId(a);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 700));
      const std::string state(
          json::parse(GetJob(serve->base(), id).body).as_object().at("state").as_string());
      if (state != "done") ++killed_mid_job;
      serve.reset();  // SIGKILL
    }
    ServeProcess again(dir.Sub("db"), args);
    json::object job = WaitJob(again.base(), id);
    REQUIRE(job.at("state").as_string() == "done");
    REQUIRE(job.at("outcomes").as_array().size() == ids.size());
    for (const auto& o : job.at("outcomes").as_array()) {
      CHECK(o.as_object().at("outcome").as_string() == "captured");
    }
    again.Stop();
    auto store = archive::Store::OpenReadOnly(dir.Sub("db"), {});
    REQUIRE(store.has_value());
    CHECK((*store)->CheckReadable().ok());
    for (const auto& post : ids) {
      auto captures = (*store)->Captures("x/" + post);
      REQUIRE(captures.has_value());
      CHECK(captures->size() == 1);  // once, though the job ran twice
      auto latest = (*store)->LatestGood("x/" + post);
      REQUIRE(latest.has_value());
      CHECK(latest->job() == id);
      CHECK((*store)->HasBlob(latest->raw_body_blob()));
      CHECK((*store)->HasBlob(latest->post().author().avatar_blob()));
    }
    for (const auto& post : ids) {
      replay.Admin("restore", "https://cdn.syndication.twimg.com/tweet-result?id=" + post);
    }
  }
  INFO("killed while the job ran: " << killed_mid_job << " of 20");
  CHECK(killed_mid_job >= 10);
}

TEST_CASE("watch: a real feed's new articles archived once, read again with a conditional GET") {
  testing::ArchiveEnv env;
  const std::string feed = "https://www.theguardian.com/us/rss";
  const auto first = env.Fetch("watch", {feed});
  INFO(first.out << first.err);
  // 55 items; one page is in the replay (it embeds a post), the others answer 404.
  CHECK(first.out.find("article https://www.theguardian.com/us-news/2018/jan/31/"
                       "donald-trump-state-of-the-union-address-unity-discord (Trump State of the "
                       "Union address promised unity but emphasized discord): 1 post") !=
        std::string::npos);
  CHECK(first.out.find("x/1641086480675225601  captured") != std::string::npos);
  CHECK(std::count(first.out.begin(), first.out.end(), '\n') > 50);
  CHECK(first.exit_code == 0);
  CHECK(env.replay.Hits(feed) == 1);
  // The feed again: 304 (the ETag kept from the first read), and no article twice.
  const auto second = env.Fetch("watch", {feed});
  CHECK(second.out.find("1 post") == std::string::npos);
  CHECK(second.out.find("0 posts: ") != std::string::npos);
  CHECK(env.replay.Hits(feed) == 2);
  CHECK(env.replay.NotModified(feed) == 1);
  // An Atom feed and a Google News sitemap of real publishers are read the same way (their
  // pages are not in the replay: each is reported, nothing is archived, nothing fails).
  for (const std::string other : {"https://www.heise.de/developer/rss/news-atom.xml",
                                  "https://www.washingtonpost.com/news-sitemap-politics.xml"}) {
    const auto r = env.Fetch("watch", {other});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(": not read (fetching http") != std::string::npos);
  }
  CHECK(env.Fetch("watch", {"not a url"}).exit_code == 2);
  CHECK(env.Fetch("watch", {"https://www.example-news.test/news/three-networks"}).exit_code == 1);
}

TEST_CASE(
    "serve --watch polls a feed and archives its new articles, and --config mirrors the flags") {
  testing::TempDir dir;
  testing::ReplayServer replay(testing::ReplayRoot());
  const std::string config =
      WriteFile(dir.Sub("stillpost.toml"),
                "# serve's flags, as keys\nwatch = [\"https://www.theguardian.com/us/rss\"]\n"
                "watch_every = \"1s\"\nupstream = [\"" +
                    replay.upstream_flag() + "\"]\nallow-private-upstreams = true\nthreads = 2\n");
  ServeProcess serve(dir.Sub("db"), {"--config", config});
  const std::string article =
      "https://www.theguardian.com/us-news/2018/jan/31/"
      "donald-trump-state-of-the-union-address-unity-discord";
  Answer a;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  do {
    a = Call(serve.base() + "/api/v1/articles?url=" + article, nullptr);
    if (a.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (Clock::now() < deadline);
  REQUIRE(a.status == 200);
  CHECK(a.body.find("x/1641086480675225601") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  // Read again every second, each time with a conditional GET answered 304.
  CHECK(replay.NotModified("https://www.theguardian.com/us/rss") >= 1);
  const std::string metrics = Call(serve.base() + "/metrics", nullptr).body;
  CHECK(metrics.find("stillpost_feed_reads_total{feed=\"https://www.theguardian.com/us/rss\"}") !=
        std::string::npos);
  serve.Stop();
  // A key that is no flag is an error, said as one.
  const std::string bad = WriteFile(dir.Sub("bad.toml"), "no_such_flag = 1\n");
  auto r = testing::Run(testing::StillpostBinary(), {"--db", dir.Sub("db"), "serve", "--config",
                                                     bad, "--listen", "127.0.0.1:0"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no-such-flag") != std::string::npos);
  const std::string broken = WriteFile(dir.Sub("broken.toml"), "watch = [\n");
  r = testing::Run(testing::StillpostBinary(),
                   {"--db", dir.Sub("db"), "serve", "--config", broken, "--listen", "127.0.0.1:0"});
  CHECK(r.exit_code == 2);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

Answer Seen(const std::string& base, const std::string& page, const std::string& origin) {
  const std::string body = R"({"page": ")" + page + R"("})";
  std::vector<std::string> h = {"Content-Type: text/plain"};
  if (!origin.empty()) h.push_back("Origin: " + origin);
  return Call(base + "/api/v1/seen", &body, h);
}

TEST_CASE("seen: only allowed origins, each page at most so often, each origin within a budget") {
  testing::TempDir dir;
  testing::ReplayServer replay(testing::ReplayRoot());
  {
    ServeProcess off(dir.Sub("off"), Upstream(replay));
    CHECK(Seen(off.base(), "https://www.example-news.test/a", "").status == 404);
  }
  auto args = Upstream(replay);
  args.insert(args.end(), {"--auto-archive-origin", "https://WWW.example-news.test:443",
                           "--seen-budget", "2", "--seen-rescan-after", "1h"});
  ServeProcess serve(dir.Sub("db"), args);
  const std::string page = "https://www.example-news.test/news/three-networks";
  // Another origin's page, or an Origin header that is not the page's: refused.
  CHECK(Seen(serve.base(), "https://elsewhere.example/news/x", "").status == 403);
  CHECK(Seen(serve.base(), page, "https://elsewhere.example").status == 403);
  CHECK(Seen(serve.base(), "javascript:alert(1)", "").status == 400);
  Answer accepted = Seen(serve.base(), page + "#comments", "https://www.example-news.test");
  REQUIRE(accepted.status == 202);
  CHECK(accepted.headers.find("Access-Control-Allow-Origin: https://www.example-news.test") !=
        std::string::npos);
  // The same page again (its fragment is not a page of its own): scanned lately, not again.
  CHECK(Seen(serve.base(), page, "https://www.example-news.test").status == 200);
  CHECK(Seen(serve.base(), page + "?page=2", "").status == 202);
  Answer over = Seen(serve.base(), page + "?page=3", "");
  CHECK(over.status == 429);  // two pages an hour for this origin
  CHECK(over.headers.find("Retry-After: ") != std::string::npos);
  // The server fetched the page itself and archived its posts.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  Answer a;
  do {
    a = Call(serve.base() + "/api/v1/articles?url=" + page, nullptr);
    if (a.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (Clock::now() < deadline);
  CHECK(a.status == 200);
  CHECK(Call(serve.base() + "/embed/x/1641086480675225601", nullptr).status == 200);
  const std::string metrics = Call(serve.base() + "/metrics", nullptr).body;
  for (const char* line :
       {"{decision=\"accepted\"} 2", "{decision=\"recent\"} 1", "{decision=\"over_budget\"} 1",
        "{decision=\"forbidden\"} 2", "{decision=\"bad_request\"} 1"}) {
    CHECK(metrics.find(std::string("stillpost_seen_decisions_total") + line) != std::string::npos);
  }
}

}  // namespace
}  // namespace stillpost
