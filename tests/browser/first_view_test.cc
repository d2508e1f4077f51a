// Archive on first view: a page served from a loopback "publisher" origin, with embed.js and a
// post nobody archived, ends up showing our iframe in Chromium, with no CLI run. The server
// fetches the page itself (through the replay) and archives its post.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/support/chromium.h"
#include "tests/support/replay.h"
#include "tests/support/run.h"
#include "tests/support/serve.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

std::string Port(const std::string& base) { return base.substr(base.rfind(':') + 1); }

TEST_CASE("first view: embed.js on an allowed origin gets its post archived and shown") {
  const std::string node_modules = std::string(STILLPOST_SOURCE_DIR) + "/.npm-tools/node_modules";
  INFO("playwright-core is installed by scripts/setup into " << node_modules);
  REQUIRE(std::filesystem::exists(node_modules + "/playwright-core"));
  testing::TempDir dir;
  testing::ReplayServer replay(testing::ReplayRoot());
  testing::ServeProcess serve(dir.Sub("db"),
                              {"--upstream", replay.upstream_flag(), "--allow-private-upstreams",
                               "--auto-archive-origin", "http://publisher.example"});
  testing::HttpGetter http;
  const std::string key = "x/1641895049427550208";
  REQUIRE(http.Get(serve.base() + "/api/v1/posts/" + key).status == 404);  // not archived
  // publisher.example is the replay (which answers by Host), archive.example the server.
  const std::string rules = "MAP publisher.example 127.0.0.1:" + Port(replay.base()) +
                            ", MAP archive.example 127.0.0.1:" + Port(serve.base());
  setenv("NODE_PATH", node_modules.c_str(), 1);
  auto r = testing::Run(
      "/usr/bin/node",
      {std::string(STILLPOST_SOURCE_DIR) + "/tests/browser/first_view.js", testing::kChromium,
       dir.Sub("profile"), rules, "http://publisher.example/news/first-view.html", "40000"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("blockquotes-before 1") != std::string::npos);
  CHECK(r.out.find("iframe http://archive.example/embed/" + key) != std::string::npos);
  CHECK(r.out.find("blockquotes-after 0") != std::string::npos);
  // The server archived the page as an article, and counted the decision.
  auto article =
      http.Get(serve.base() + "/api/v1/articles?url=http://publisher.example/news/first-view.html");
  CHECK(article.status == 200);
  CHECK(article.body.find(key) != std::string::npos);
  CHECK(http.Get(serve.base() + "/metrics")
            .body.find("stillpost_seen_decisions_total{decision=\"accepted\"} 1") !=
        std::string::npos);
}

}  // namespace
}  // namespace stillpost
