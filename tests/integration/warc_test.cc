// Archives that outlive stillpost: `export` to WACZ and WARC read by another project's reader
// (warcio.js), `import` back into an empty store giving the same embeds byte for byte, the same
// store giving the same bytes twice, the golden export, provenance (keys, rotation, manifests,
// the verify page) and Memento, all through the real CLI, server and replay.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive/store.h"
#include "proto/time.h"
#include "tests/support/archive_env.h"
#include "tests/support/fixtures.h"
#include "tests/support/run.h"
#include "tests/support/serve.h"
#include "warc/records.h"

namespace stillpost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::Run;
using testing::StillpostBinary;

const std::string kArticle = std::string(STILLPOST_FIXTURES) + "/articles/three-networks.html";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

testing::RunResult Cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  return Run(StillpostBinary(), args);
}

// warcio.js's reading of an export (tests/warc/check_export.js), as JSON.
json::object Check(const std::string& file) {
  const std::string modules = std::string(STILLPOST_SOURCE_DIR) + "/.npm-tools/node_modules";
  INFO("warcio is installed by scripts/setup into " << modules);
  REQUIRE(fs::exists(modules + "/warcio"));
  setenv("NODE_PATH", modules.c_str(), 1);
  auto r = Run("/usr/bin/node",
               {std::string(STILLPOST_SOURCE_DIR) + "/tests/warc/check_export.js", file});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out).as_object();
}

// Every post key, and every capture time of each, of a store.
std::vector<std::pair<std::string, std::vector<std::string>>> Captures(const std::string& db) {
  auto store = archive::Store::OpenReadOnly(db, {});
  REQUIRE(store);
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const char* platform : {"bsky", "mastodon", "x"}) {
    auto keys = (*store)->PostsByPlatform(platform, 1000);
    REQUIRE(keys);
    for (const auto& key : *keys) {
      auto captures = (*store)->Captures(key);
      REQUIRE(captures);
      std::vector<std::string> times;
      for (const auto& c : *captures)
        times.push_back(FormatRfc3339(proto::MicrosOf(c.captured_at())));
      out.emplace_back(key, std::move(times));
    }
  }
  return out;
}

// The three networks' article archived twice (the second a forced re-capture: two captures per
// post, the media seen again), with a key rotation between.
void ArchiveTwice(testing::ArchiveEnv& env) {
  auto first = env.Archive({kArticle});
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(Cli(env.db, {"keys", "rotate"}).exit_code == 0);
  auto second = env.Archive({kArticle, "--force"});
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
}

TEST_CASE("web archives: an export reads whole in warcio.js and imports back to the same embeds") {
  testing::ArchiveEnv env;
  ArchiveTwice(env);
  // A capture from before stillpost kept the exchange: exported as a resource record.
  {
    auto store = archive::Store::Open(env.db, {});
    REQUIRE(store);
    proto::Capture old = *(*store)->LatestGood("x/1641086480675225601");
    old.clear_exchange();
    const int64_t t = proto::MicrosOf(old.captured_at()) + 1'000'000;
    *old.mutable_captured_at() = proto::TimestampOf(t);
    REQUIRE((*store)->AddCapture("x/1641086480675225601", old).has_value());
  }
  const std::string wacz = env.dir.Sub("a.wacz"), warc = env.dir.Sub("a.warc.gz");
  auto exported = Cli(env.db, {"export", "--all", "--wacz", wacz, "--json"});
  INFO(exported.out << exported.err);
  REQUIRE(exported.exit_code == 0);
  const json::object n = json::parse(exported.out).as_object();
  CHECK(n.at("posts").as_int64() == 3);
  CHECK(n.at("captures").as_int64() == 7);
  CHECK(n.at("exchanges").as_int64() == 6);
  CHECK(n.at("without_exchange").as_int64() == 1);
  CHECK(n.at("revisits").as_int64() > 0);
  auto text = Cli(env.db, {"export", "--all", "--warc", warc});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("1 captures were made before stillpost kept the HTTP exchange") !=
        std::string::npos);

  // Another project's reader: every record, digest and link.
  const json::object w = Check(wacz);
  CHECK(w.at("records").as_int64() == n.at("records").as_int64());
  CHECK(w.at("payload_digests").as_int64() > 0);
  CHECK(w.at("block_digests").as_int64() == w.at("records").as_int64());
  CHECK(w.at("signature_verified").as_bool());
  CHECK(w.at("pages").as_int64() == 3);
  const json::object& types = w.at("types").as_object();
  CHECK(types.at("request").as_int64() == types.at("response").as_int64());
  CHECK(types.at("revisit").as_int64() == n.at("revisits").as_int64());
  CHECK(Check(warc).at("records") == w.at("records"));

  // The same store, the same bytes: the WARC, and the WACZ but for the signature (ECDSA's
  // random nonce: OpenSSL 3.0 has no deterministic signatures), even in another time zone.
  const std::string again = env.dir.Sub("b.warc.gz"), wacz_again = env.dir.Sub("b.wacz");
  REQUIRE(Cli(env.db, {"export", "--all", "--warc", again}).exit_code == 0);
  CHECK(ReadAll(again) == ReadAll(warc));
  setenv("TZ", "Asia/Tokyo", 1);
  REQUIRE(Cli(env.db, {"export", "--all", "--wacz", wacz_again}).exit_code == 0);
  unsetenv("TZ");
  json::object members = w.at("member_sha256").as_object();
  json::object members_again = Check(wacz_again).at("member_sha256").as_object();
  CHECK(members.size() == 5);
  CHECK(members.erase("datapackage-digest.json") == 1);
  CHECK(members_again.erase("datapackage-digest.json") == 1);
  CHECK(members == members_again);
  CHECK(ReadAll(wacz).size() == ReadAll(wacz_again).size());

  // Import into an empty store, then serve both: every embed the same, byte for byte.
  const std::string db2 = env.dir.Sub("db2");
  auto imported = Cli(db2, {"import", wacz, "--json"});
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  const json::object i = json::parse(imported.out).as_object();
  CHECK(i.at("captures").as_int64() == 7);
  CHECK(i.at("signature").as_string().starts_with("verified by key "));
  const auto before = Captures(env.db);
  REQUIRE(Captures(db2) == before);
  {
    testing::ServeProcess a(env.db), b(db2);
    testing::HttpGetter http;
    size_t compared = 0;
    for (const auto& [key, times] : before) {
      std::vector<std::string> paths = {"/embed/" + key, "/api/v1/posts/" + key,
                                        "/timemap/link/" + key};
      for (const auto& t : times) paths.push_back("/embed/" + key + "?capture=" + t);
      for (const auto& p : paths) {
        auto ra = http.Get(a.base() + p), rb = http.Get(b.base() + p);
        INFO(p);
        CHECK(ra.status == 200);
        CHECK(rb.status == ra.status);
        std::string body_b = rb.body;  // the timemap names its own server
        for (size_t at; (at = body_b.find(b.base())) != std::string::npos;) {
          body_b.replace(at, b.base().size(), a.base());
        }
        CHECK(body_b == ra.body);
        ++compared;
      }
    }
    CHECK(compared == 3 * 3 + 7);
  }
  // Again: nothing stored twice. The WARC alone as well.
  auto twice = Cli(db2, {"import", wacz, "--json"});
  REQUIRE(twice.exit_code == 0);
  CHECK(json::parse(twice.out).at("captures").as_int64() == 0);
  CHECK(json::parse(twice.out).at("already").as_int64() == 7);
  auto from_warc = Cli(db2, {"import", warc, "--json"});
  REQUIRE(from_warc.exit_code == 0);
  CHECK(json::parse(from_warc.out).at("already").as_int64() == 7);
  CHECK(Captures(db2) == before);
  // The imported store knows the keys that signed what it holds, as imported.
  auto keys = Cli(db2, {"keys", "--json"});
  REQUIRE(keys.exit_code == 0);
  size_t imported_keys = 0;
  const json::value key_list = json::parse(keys.out);
  for (const auto& k : key_list.as_array()) {
    if (k.at("origin").as_string().starts_with("imported from")) ++imported_keys;
  }
  CHECK(imported_keys == 2);
}

TEST_CASE(
    "web archives: a damaged or foreign file is refused in one line and the store keeps all") {
  testing::ArchiveEnv env;
  auto archived = env.Archive({kArticle});
  REQUIRE(archived.exit_code == 0);
  const std::string wacz = env.dir.Sub("a.wacz");
  REQUIRE(Cli(env.db, {"export", "--all", "--wacz", wacz}).exit_code == 0);
  const std::string db2 = env.dir.Sub("db2");
  REQUIRE(Cli(db2, {"import", wacz}).exit_code == 0);
  const auto before = Captures(db2);

  std::string bytes = ReadAll(wacz);
  bytes[200] = static_cast<char>(bytes[200] ^ 0x20);  // inside the WARC, the first member
  const std::string damaged = env.dir.Sub("damaged.wacz");
  std::ofstream(damaged, std::ios::binary) << bytes;
  const std::string foreign = env.dir.Sub("foreign.warc");
  warc::Record r;
  r.Add("WARC-Type", "resource");
  r.Add("WARC-Target-URI", "https://example.com/");
  r.block = "hello";
  std::ofstream(foreign, std::ios::binary) << warc::Serialize(r);
  const std::string junk = env.dir.Sub("junk.warc.gz");
  std::ofstream(junk, std::ios::binary) << std::string("\x1f\x8b\x08\x00garbage", 12);

  for (const auto& [file, says] : std::vector<std::pair<std::string, std::string>>{
           {damaged, "does not match its hash"},
           {foreign, "holds no stillpost capture records"},
           {junk, "cut short"},
           {env.dir.Sub("missing.wacz"), "cannot read"}}) {
    auto r2 = Cli(db2, {"import", file});
    INFO(file << ": " << r2.out << r2.err);
    CHECK(r2.exit_code == 1);
    CHECK(r2.err.find(says) != std::string::npos);
    CHECK(std::count(r2.err.begin(), r2.err.end(), '\n') == 1);
  }
  CHECK(Captures(db2) == before);
  // Export's own mistakes are usage errors.
  CHECK(Cli(env.db, {"export", "--all"}).exit_code == 2);
  CHECK(Cli(env.db, {"export", "--wacz", wacz}).exit_code == 2);
  auto unknown = Cli(env.db, {"export", "x/1", "--warc", env.dir.Sub("u.warc.gz")});
  CHECK(unknown.exit_code == 1);
}

TEST_CASE("web archives: the golden export, from the fixture package imported into a new store") {
  // tests/fixtures/warc/three-networks.wacz: what `stillpost export` made of the three networks'
  // article archived twice (tests/fixtures/warc/SOURCES.md). Imported and exported again, the
  // WARC is byte for byte the golden one: the format holds still unless changed on purpose.
  testing::TempDir dir;
  const std::string fixture = std::string(STILLPOST_FIXTURES) + "/warc/three-networks.wacz";
  const std::string golden = std::string(STILLPOST_FIXTURES) + "/golden/three-networks.warc.gz";
  const std::string db = dir.Sub("db");
  auto imported = Cli(db, {"import", fixture});
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  const std::string out = dir.Sub("out.warc.gz");
  REQUIRE(Cli(db, {"export", "--all", "--warc", out}).exit_code == 0);
  if (std::getenv("STILLPOST_UPDATE_GOLDENS") != nullptr)
    fs::copy_file(out, golden, fs::copy_options::overwrite_existing);
  CHECK(ReadAll(out) == ReadAll(golden));
}

TEST_CASE("web archives: keys rotate, manifests chain, and Memento finds captures by time") {
  testing::ArchiveEnv env;
  ArchiveTwice(env);
  auto keys = Cli(env.db, {"keys", "--json"});
  REQUIRE(keys.exit_code == 0);
  const json::array list = json::parse(keys.out).as_array();
  REQUIRE(list.size() == 2);
  CHECK(!list[0].at("valid_until").is_null());  // retired, still published
  CHECK(list[1].at("valid_until").is_null());
  const std::string key = "mastodon/mastodon.social/103270115826048975";
  const auto captures = Captures(env.db);
  std::vector<std::string> times;
  for (const auto& [k, t] : captures) {
    if (k == key) times = t;
  }
  REQUIRE(times.size() == 2);
  testing::ServeProcess serve(env.db);
  testing::HttpGetter http;
  auto published = http.Get(serve.base() + "/.well-known/stillpost/keys.json");
  CHECK(published.status == 200);
  CHECK(json::parse(published.body).at("keys").as_array().size() == 2);
  // Each capture's manifest, signed by the key of its time, chained to the one before.
  {
    auto store = archive::Store::OpenReadOnly(env.db, {});
    REQUIRE(store);
    auto first = (*store)->Manifest(key, *ParseTime(times[0]));
    auto second = (*store)->Manifest(key, *ParseTime(times[1]));
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->key_id() == list[0].at("id").as_string());
    CHECK(second->key_id() == list[1].at("id").as_string());
    CHECK(second->manifest().find("\"previous\":\"" + first->digest() + "\"") != std::string::npos);
    CHECK(first->manifest().find("\"remote_ip\":\"127.0.0.1\"") != std::string::npos);
  }
  auto verify = http.Get(serve.base() + "/verify/" + key + "?capture=" + times[0]);
  CHECK(verify.status == 200);
  CHECK(verify.body.find(std::string(list[0].at("id").as_string())) != std::string::npos);
  CHECK(verify.body.find("GET /mastodon.social/api/v1/statuses/103270115826048975") !=
        std::string::npos);  // the request head as it was sent (to the replay)
  // Memento: the TimeMap lists both captures; the embed names its original, TimeGate, TimeMap.
  auto map = http.Get(serve.base() + "/timemap/link/" + key);
  CHECK(map.status == 200);
  CHECK(map.headers.find("application/link-format") != std::string::npos);
  CHECK(map.body.find("<https://mastodon.social/@Gargron/103270115826048975>; rel=\"original\"") !=
        std::string::npos);
  CHECK(map.body.find("rel=\"first memento\"") != std::string::npos);
  CHECK(map.body.find("rel=\"last memento\"") != std::string::npos);
  auto latest = http.Get(serve.base() + "/embed/" + key);
  CHECK(latest.headers.find("rel=\"timegate\"") != std::string::npos);
  CHECK(latest.headers.find("rel=\"timemap\"") != std::string::npos);
  CHECK(latest.headers.find("Accept-Datetime") != std::string::npos);  // in Vary
  auto pinned = http.Get(serve.base() + "/embed/" + key + "?capture=" + times[0]);
  CHECK(pinned.headers.find("Memento-Datetime: " + FormatHttpDate(*ParseTime(times[0]))) !=
        std::string::npos);
  // Accept-Datetime between the two captures: the first, by redirect.
  const std::string between = FormatHttpDate(*ParseTime(times[1]) - 1);
  auto gate =
      Run("/usr/bin/curl", {"-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H",
                            "Accept-Datetime: " + between, serve.base() + "/embed/" + key});
  INFO(gate.out);
  if (*ParseTime(times[1]) / 1'000'000 > *ParseTime(times[0]) / 1'000'000) {
    CHECK(gate.out == "302 " + serve.base() + "/embed/" + key + "?capture=" + times[0]);
  }
  const std::string after = FormatHttpDate(*ParseTime(times[1]) + 1'000'000);
  auto last =
      Run("/usr/bin/curl", {"-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H",
                            "Accept-Datetime: " + after, serve.base() + "/embed/" + key});
  CHECK(last.out == "302 " + serve.base() + "/embed/" + key + "?capture=" + times[1]);
  auto early = Run("/usr/bin/curl", {"-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                                     "Accept-Datetime: Tue, 01 Jan 2019 00:00:00 GMT",
                                     serve.base() + "/embed/" + key});
  CHECK(early.out == "404");
}

}  // namespace
}  // namespace stillpost
