// Archives read by other people's software, in Chromium: ReplayWeb.page (pinned, its prebuilt
// ui.js and sw.js) replays a post from our WACZ alone, text and image; and a capture's verify
// page checks its manifests' signatures with WebCrypto in the browser.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support/archive_env.h"
#include "tests/support/chromium.h"
#include "tests/support/run.h"
#include "tests/support/serve.h"

namespace stillpost {
namespace {

namespace json = boost::json;
const std::string kTools = std::string(STILLPOST_SOURCE_DIR) + "/.npm-tools";
const std::string kArticle = std::string(STILLPOST_FIXTURES) + "/articles/three-networks.html";
const std::string kKey = "x/1641086480675225601";

std::string CaptureTime(const std::string& db) {
  auto r = testing::Run(testing::StillpostBinary(), {"--db", db, "show", kKey, "--json"});
  REQUIRE(r.exit_code == 0);
  return std::string(json::parse(r.out).at("latest_good").at("captured_at").as_string());
}

TEST_CASE("browser: ReplayWeb.page replays an archived post from our WACZ, its text and image") {
  INFO("playwright-core and replaywebpage are installed by scripts/setup into " << kTools);
  REQUIRE(std::filesystem::exists(kTools + "/replaywebpage/sw.js"));
  testing::ArchiveEnv env;
  REQUIRE(env.Archive({kArticle}).exit_code == 0);
  const std::string wacz = env.dir.Sub("post.wacz");
  auto exported =
      testing::Run(testing::StillpostBinary(), {"--db", env.db, "export", kKey, "--wacz", wacz,
                                                "--public-url", "https://archive.news.example"});
  REQUIRE(exported.exit_code == 0);
  const std::string page =
      "https://archive.news.example/embed/" + kKey + "?capture=" + CaptureTime(env.db);
  setenv("NODE_PATH", (kTools + "/node_modules").c_str(), 1);
  auto r = testing::Run(
      "/usr/bin/node",
      {std::string(STILLPOST_SOURCE_DIR) + "/tests/warc/replay_wacz.js", testing::kChromium,
       env.dir.Sub("profile"), wacz, kTools + "/replaywebpage", page,
       "View Flattening in React Native", "pbs.twimg.com/media/FsZNOgcWAAEQtrd", "60000"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const json::value found = json::parse(r.out);
  // The replay's own URL scheme: /replay/w/COLL/TIMESTAMPmp_/URL, the image through im_/.
  CHECK(std::string(found.at("frame").as_string()).ends_with("mp_/" + page));
  CHECK(std::string(found.at("image").as_string()).find("im_/https://pbs.twimg.com/media/") !=
        std::string::npos);
  CHECK(found.at("width").as_int64() > 0);
}

TEST_CASE("browser: the verify page checks every manifest's signature with WebCrypto") {
  testing::ArchiveEnv env;
  REQUIRE(env.Archive({kArticle}).exit_code == 0);
  REQUIRE(testing::Run(testing::StillpostBinary(), {"--db", env.db, "keys", "rotate"}).exit_code ==
          0);
  REQUIRE(env.Archive({kArticle, "--force"}).exit_code == 0);
  testing::ServeProcess serve(env.db);
  setenv("NODE_PATH", (kTools + "/node_modules").c_str(), 1);
  auto r =
      testing::Run("/usr/bin/node",
                   {std::string(STILLPOST_SOURCE_DIR) + "/tests/warc/verify_page.js",
                    testing::kChromium, env.dir.Sub("profile"), serve.base() + "/verify/" + kKey});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const json::value v = json::parse(r.out);
  CHECK(v.at("verified").as_string() == "yes");
  const json::array& lines = v.at("lines").as_array();
  REQUIRE(lines.size() == 2);  // two captures, signed by two keys
  for (const auto& line : lines) {
    CHECK(std::string(line.as_string()).find("signature verified") != std::string::npos);
    CHECK(std::string(line.as_string()).find("chain holds") != std::string::npos);
  }
  CHECK(v.at("errors").as_array().empty());  // nothing the CSP blocked
}

}  // namespace
}  // namespace stillpost
