// oEmbed's height against the real thing: every post the replay holds (X, Mastodon, Bluesky),
// archived by the real CLI and served by a real `stillpost serve`, loaded in headless Chromium
// at 250, 350 and 550 px; each embed posts its content height, and the oEmbed answer for that
// width must be within 5% of it. Screenshots of an X quote and reply, light and dark, at 250
// and 550 px are kept under build/tests/artifacts/.
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "tests/support/chromium.h"
#include "tests/support/replay.h"
#include "tests/support/run.h"
#include "tests/support/serve.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

namespace fs = std::filesystem;
using testing::Run;

using testing::ChromiumArgs;
using testing::kChromium;

// Every post of the replay, by the URL a publisher would give oEmbed.
const std::vector<std::pair<std::string, std::string>> kPosts = {
    {"x/1629262255744503809", "https://x.com/i/status/1629262255744503809"},
    {"x/1641086480675225601", "https://x.com/i/status/1641086480675225601"},
    {"x/1641895049427550208", "https://x.com/i/status/1641895049427550208"},
    {"x/1684218600456876032", "https://x.com/i/status/1684218600456876032"},
    {"x/2023357708301455483", "https://x.com/i/status/2023357708301455483"},
    {"x/883275154715705344", "https://x.com/i/status/883275154715705344"},
    {"x/883302522549305344", "https://x.com/i/status/883302522549305344"},
    {"x/883326060983353344", "https://x.com/i/status/883326060983353344"},
    {"mastodon/mastodon.social/103270115826048975",
     "https://mastodon.social/@Gargron/103270115826048975"},
    {"mastodon/mastodon.social/113500000000000002",
     "https://mastodon.social/@someone/113500000000000002"},
    {"mastodon/social.example.org/113500000000000001",
     "https://social.example.org/@reporter/113500000000000001"},
    {"bsky/did:plc:a2xro4bckdu24pdxtevo7mmr/3lhlr5a4shz2u",
     "https://bsky.app/profile/did:plc:a2xro4bckdu24pdxtevo7mmr/post/3lhlr5a4shz2u"},
    {"bsky/did:plc:z7ja7uhcr5is6uqmnsjyn3k7/3lhmggpkbw22v",
     "https://bsky.app/profile/did:plc:z7ja7uhcr5is6uqmnsjyn3k7/post/3lhmggpkbw22v"},
    {"bsky/did:plc:l7mosai5i2u562b5qbosw6c7/3lhnr2o6kb22h",
     "https://bsky.app/profile/did:plc:l7mosai5i2u562b5qbosw6c7/post/3lhnr2o6kb22h"},
    {"bsky/did:plc:64fyz6rpsagabcfqzdxykwgg/3lhnv26fdxc2v",
     "https://bsky.app/profile/did:plc:64fyz6rpsagabcfqzdxykwgg/post/3lhnv26fdxc2v"},
};
const int kWidths[] = {250, 350, 550};

std::string UrlEncode(const std::string& s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

TEST_CASE("browser: oEmbed heights are the embeds' content heights in Chromium, within 5%") {
  REQUIRE(fs::exists(kChromium));
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  testing::ReplayServer upstream(testing::ReplayRoot());
  std::vector<std::string> args = {
      "--db", db, "archive", "--upstream", upstream.upstream_flag(), "--allow-private-upstreams"};
  for (const auto& [key, url] : kPosts) args.push_back(key);
  auto archived = Run(testing::StillpostBinary(), args);
  INFO(archived.out << archived.err);
  REQUIRE(archived.exit_code == 0);

  testing::ServeProcess serve(db);
  testing::HttpGetter http;
  // The harness: one frame per post and width, as tall as anything can be; each embed posts its
  // height, and the page writes what it heard into its DOM for --dump-dom.
  std::map<std::string, int> expected;
  std::string page =
      "<!DOCTYPE html><html><body style=\"margin:0\"><pre id=\"out\"></pre><script>"
      "var got={};addEventListener('message',function(e){var f=document.getElementsByTagName("
      "'iframe');for(var i=0;i<f.length;i++){if(f[i].contentWindow===e.source&&e.data&&"
      "e.data.type==='stillpost:height'){got[f[i].name]=e.data.height;}}"
      "document.getElementById('out').textContent=JSON.stringify(got);});</script>";
  for (const auto& [key, url] : kPosts) {
    for (int w : kWidths) {
      auto o = http.Get(serve.base() + "/oembed?url=" + UrlEncode(url) +
                        "&maxwidth=" + std::to_string(w));
      INFO(key << " at " << w << ": " << o.body);
      REQUIRE(o.status == 200);
      auto doc = boost::json::parse(o.body).as_object();
      CHECK(doc.at("width").as_int64() == w);
      const std::string name = key + "@" + std::to_string(w);
      expected[name] = static_cast<int>(doc.at("height").as_int64());
      page += "<iframe name=\"" + name + "\" src=\"" + serve.base() + "/embed/" + key +
              "\" width=\"" + std::to_string(w) +
              "\" height=\"3000\" style=\"border:0;display:block\"></iframe>";
    }
  }
  page += "</body></html>\n";
  fs::create_directories(dir.Sub("site"));
  std::ofstream(dir.Sub("site/harness.html")) << page;
  testing::ReplayServer site(dir.Sub("site"));

  auto chromium = ChromiumArgs(dir.Sub("profile"));
  chromium.push_back("--virtual-time-budget=20000");
  chromium.push_back("--window-size=1200,2000");
  chromium.push_back("--disable-features=IsolateOrigins,site-per-process");
  chromium.push_back("--disable-site-isolation-trials");
  chromium.push_back("--dump-dom");
  chromium.push_back(site.base() + "/harness.html");
  auto dom = Run(kChromium, chromium);
  REQUIRE(dom.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(dom.out, m, std::regex(R"(<pre id="out">([^<]*)</pre>)")));
  std::string json = m[1];
  for (auto p = json.find("&quot;"); p != std::string::npos; p = json.find("&quot;")) {
    json.replace(p, 6, "\"");
  }
  auto measured = boost::json::parse(json).as_object();
  int within = 0, worst_pct_x10 = 0;
  for (const auto& [name, height] : expected) {
    INFO(name << ": oEmbed " << height);
    REQUIRE(measured.contains(name));
    const int real = static_cast<int>(measured.at(name).as_int64());
    const double off = std::abs(height - real) / static_cast<double>(real);
    UNSCOPED_INFO(name << ": oEmbed " << height << " px, Chromium " << real << " px");
    worst_pct_x10 = std::max(worst_pct_x10, static_cast<int>(off * 1000));
    CHECK(off <= 0.05);
    within += off <= 0.05;
  }
  WARN(within << "/" << expected.size() << " oEmbed heights within 5% of Chromium's; worst "
              << worst_pct_x10 / 10.0 << "%");
}

}  // namespace
}  // namespace stillpost
