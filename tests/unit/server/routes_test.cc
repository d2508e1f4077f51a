#include "server/routes.h"

#include <utf8.h>
#include <zlib.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "archive/store.h"
#include "server/detail/range.h"
#include "tests/support/posts.h"
#include "tests/support/temp_dir.h"

namespace stillpost::server {
namespace {

using testing::FixtureCapture;

std::string Header(const Response& r, const std::string& name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return std::string(h.Value());
  }
  return "";
}

// Stores a capture with a blob for each media URL of its post (the URL's bytes stand in).
void AddWithMedia(archive::Store& store, const proto::Capture& capture) {
  proto::Capture c = capture;
  std::vector<std::string> datas;
  for (auto& slot : fetcher::MediaSlots(*c.mutable_post())) datas.push_back(*slot.url);
  std::vector<archive::BlobWrite> blobs;
  for (const auto& d : datas) blobs.push_back({d, {}});
  REQUIRE_OK(store.AddCapture(c.post().key(), c, blobs));
}

// A store with two posts (one of them deleted since) and their media.
struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<archive::Store> store;
  std::unique_ptr<Router> router;
  std::string video = std::string(300, 'v');
  std::string video_sha = Sha256Hex(video);

  Fixture() {
    auto s = archive::Store::Open(dir.Sub("db"), {});
    REQUIRE_OK(s);
    store = std::move(*s);
    for (const char* f : {"upstream/x/photo_single_with_url_entity.json",
                          "seed-article/x/883326060983353344.json"}) {
      AddWithMedia(*store, FixtureCapture(f));
    }
    proto::Capture gone;
    *gone.mutable_captured_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(testing::kCapturedAt + 1000000);
    gone.mutable_tombstone()->set_kind(proto::Tombstone::KIND_DELETED);
    REQUIRE_OK(store->AddCapture("x/883326060983353344", gone));
    proto::Capture v = FixtureCapture("upstream/x/video_mp4_variants_and_hls.json");
    v.mutable_post()->clear_author();
    v.mutable_post()->mutable_media(0)->set_blob(video_sha);
    v.mutable_post()->mutable_media(0)->clear_poster_blob();
    proto::BlobMeta meta;
    meta.set_mime("video/mp4");
    std::vector<archive::BlobWrite> blobs = {{video, meta}};
    REQUIRE_OK(store->AddCapture(v.post().key(), v, blobs));
    router = std::make_unique<Router>(*store, RouterOptions{"https://archive.example", 16});
  }
  Response Get(const std::string& target, const std::string& inm = "",
               const std::string& range = "") {
    return router->Handle(Request{"GET", target, inm, range});
  }
};

TEST_CASE("routes: strict paths and methods") {
  Fixture f;
  CHECK(f.Get("/nope").status == 404);
  CHECK(f.Get("/embed/x/abc").status == 400);
  CHECK(f.Get("/embed/x/1").status == 404);
  CHECK(f.Get("/embed/../etc/passwd").status == 400);
  CHECK(f.Get("/embed/x%2F1").status == 404);  // x/1, decoded: a key, not archived
  CHECK(f.Get("/embed/x%2").status == 400);
  CHECK(f.Get("/embed/x/%2E%2E").status == 400);
  CHECK(f.Get("/media/not-a-digest").status == 400);
  CHECK(f.Get("/media/" + Sha256Hex("nothing")).status == 404);
  Response post = f.router->Handle(Request{"POST", "/embed/x/1", "", ""});
  CHECK(post.status == 405);
  CHECK(Header(post, "Allow") == "GET, HEAD");
  CHECK(f.Get("/healthz").body == "ok\n");
  CHECK(f.Get("/embed.js").body.find("blockquote.twitter-tweet") != std::string::npos);
}

TEST_CASE("routes: embeds carry ETags, CSP and caching, 304 on a match, pinned captures by time") {
  Fixture f;
  Response r = f.Get("/embed/x/1641086480675225601?theme=dark");
  REQUIRE(r.status == 200);
  const std::string etag = Header(r, "ETag");
  CHECK((etag.size() > 2 && etag.front() == '"' && etag.back() == '"'));  // a strong ETag
  CHECK(Header(r, "Cache-Control") == "public, max-age=60, must-revalidate");
  CHECK(Header(r, "Content-Security-Policy").find("default-src 'none'") == 0);
  CHECK(Header(r, "Referrer-Policy") == "no-referrer");
  REQUIRE(r.shared_body);
  CHECK(r.shared_body->find("data-theme=\"dark\"") != std::string::npos);
  CHECK(f.Get("/embed/x/1641086480675225601?theme=dark", etag).status == 304);
  CHECK(Header(f.Get("/embed/x/1641086480675225601?theme=light"), "ETag") != etag);

  Response pinned = f.Get("/embed/x/1641086480675225601?capture=2025-11-28T08:00:00Z");
  CHECK(pinned.status == 200);
  // Cached a day and revalidated: the page says when the post has gone since.
  CHECK(Header(pinned, "Cache-Control") == "public, max-age=86400");
  // Any RFC 3339 time: the newest capture at or before it.
  for (const char* t : {"2025-11-28T08:00:01Z", "2025-11-28T10:00:00%2B02:00",
                        "2025-11-28T10:00:00+02:00", "2026-01-01T00:00:00.5Z"}) {
    Response later = f.Get(std::string("/embed/x/1641086480675225601?capture=") + t);
    INFO(t);
    CHECK(later.status == 200);
    CHECK(Header(later, "ETag") == Header(pinned, "ETag"));
  }
  CHECK(f.Get("/embed/x/1641086480675225601?capture=2025-11-28T07:59:59Z").status == 404);
  CHECK(f.Get("/embed/x/1641086480675225601?capture=yesterday").status == 400);
}

TEST_CASE("routes: a deleted post renders its last good capture with the band, pinned, says so") {
  Fixture f;
  Response r = f.Get("/embed/x/883326060983353344");
  REQUIRE(r.status == 200);
  const std::string body = r.shared_body ? *r.shared_body : r.body;
  CHECK(body.find("Deleted from X") != std::string::npos);
  CHECK(body.find("Get a grip man") != std::string::npos);
  Response pinned = f.Get("/embed/x/883326060983353344?capture=2025-11-28T08:00:00Z");
  REQUIRE(pinned.status == 200);
  REQUIRE(pinned.shared_body);
  CHECK(pinned.shared_body->find("Get a grip man") != std::string::npos);
  // The band's dates never wrap (nowrap spans).
  CHECK(pinned.shared_body->find("As captured <span class=\"nw\">2025-11-28</span> \u00B7 "
                                 "Deleted from X since <span class=\"nw\">2025-11-28</span>") !=
        std::string::npos);
}

TEST_CASE("routes: media with its stored type, ETag, and single byte ranges") {
  Fixture f;
  const std::string path = "/media/" + f.video_sha;
  Response whole = f.Get(path);
  REQUIRE(whole.status == 200);
  CHECK(Header(whole, "Content-Type") == "video/mp4");
  CHECK(Header(whole, "X-Content-Type-Options") == "nosniff");
  CHECK(Header(whole, "Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(whole.length == 300);
  CHECK(f.Get(path, "\"" + f.video_sha + "\"").status == 304);
  Response part = f.Get(path, "", "bytes=10-19");
  CHECK(part.status == 206);
  CHECK(Header(part, "Content-Range") == "bytes 10-19/300");
  CHECK(part.offset == 10);
  CHECK(part.length == 10);
  CHECK(f.Get(path, "", "bytes=-5").offset == 295);
  Response bad = f.Get(path, "", "bytes=300-");
  CHECK(bad.status == 416);
  CHECK(Header(bad, "Content-Range") == "bytes */300");
  CHECK(f.Get(path, "", "bytes=0-1,5-6").status == 200);  // several ranges: the whole body
}

TEST_CASE("routes: ParseRange") {
  CHECK(detail::ParseRange("", 10)->whole);
  CHECK(detail::ParseRange("bytes=2-", 10)->first == 2);
  CHECK(detail::ParseRange("bytes=2-100", 10)->last == 9);
  CHECK_FALSE(detail::ParseRange("bytes=10-", 10).has_value());
  CHECK_FALSE(detail::ParseRange("bytes=-0", 10).has_value());
  CHECK(detail::ParseRange("bytes=5-2", 10)->whole);
  CHECK(detail::ParseRange("items=1-2", 10)->whole);
  CHECK(detail::ParseRange("bytes=-20", 10)->first == 0);
}

TEST_CASE("routes: oEmbed fields and errors") {
  Fixture f;
  Response r = f.Get(
      "/oembed?url=https%3A%2F%2Ftwitter.com%2FSamuelSusla%2Fstatus%2F1641086480675225601&maxwidth="
      "300");
  REQUIRE(r.status == 200);
  CHECK(Header(r, "Content-Type") == "application/json; charset=utf-8");
  CHECK(r.body.find("\"width\":300") != std::string::npos);
  CHECK(r.body.find("https://archive.example/embed/x/1641086480675225601") != std::string::npos);
  CHECK(f.Get("/oembed?url=https://archive.example/embed/x/1641086480675225601").status == 200);
  CHECK(f.Get("/oembed").status == 400);
  CHECK(f.Get("/oembed?url=https://x.com/a/status/1641086480675225601&format=xml").status == 501);
  CHECK(f.Get("/oembed?url=https://x.com/a/status/99").status == 404);
  CHECK(f.Get("/oembed?url=https://example.com/").status == 404);
}

TEST_CASE("routes: the JSON API: latest capture, state, capture list, one capture") {
  Fixture f;
  Response r = f.Get("/api/v1/posts/x/883326060983353344");
  REQUIRE(r.status == 200);
  auto doc = boost::json::parse(r.body).as_object();
  CHECK(doc.at("state") == "deleted");
  CHECK(doc.at("capture_count").is_number());  // a count is a JSON number
  CHECK(doc.at("captures").as_array().back().as_object().at("state") == "deleted");
  // The capture as protobuf's JSON mapping prints it: enums by name, 64-bit numbers as strings.
  const auto& post = doc.at("latest_good").as_object().at("post").as_object();
  CHECK(post.at("platform") == "PLATFORM_X");
  CHECK(post.at("counts").as_object().at("likes").is_string());
  CHECK(r.body.find("Get a grip man") != std::string::npos);
  CHECK(r.body.find("{}") == std::string::npos);  // no empty objects for absent parts
  CHECK(r.body.find("CURRENT_") == std::string::npos);
  Response one = f.Get("/api/v1/posts/x/883326060983353344/captures/2025-11-28T08:00:01Z");
  CHECK(one.status == 200);
  CHECK(boost::json::parse(one.body).as_object().at("tombstone").as_object().at("kind") ==
        "KIND_DELETED");
  CHECK(f.Get("/api/v1/posts/x/1").status == 404);
  CHECK(f.Get("/api/v1/posts/y/1").status == 400);
}

TEST_CASE("routes: the home page looks a post up, escaping what it was asked") {
  Fixture f;
  Response home = f.Get("/?q=https%3A%2F%2Fx.com%2Fa%2Fstatus%2F1641086480675225601");
  CHECK(home.status == 200);
  CHECK(home.body.find("/embed/x/1641086480675225601") != std::string::npos);
  const std::string escaped = f.Get("/?q=%3Cscript%3E").body;
  CHECK(escaped.find("<script>") == std::string::npos);
  CHECK(escaped.find("value=\"&lt;script&gt;\"") != std::string::npos);
  // /metrics shows the store's figures (request counting is the server's: serve_test).
  CHECK(f.Get("/metrics").body.find("stillpost_store_posts 3\n") != std::string::npos);
}

}  // namespace
}  // namespace stillpost::server

namespace stillpost::server {
namespace {

TEST_CASE("routes: malformed Range headers are ignored, unsatisfiable ones are 416") {
  Fixture f;
  const std::string path = "/media/" + f.video_sha;
  for (const char* malformed : {"bytes=-abc", "bytes=abc-5", "bytes= 1-2", "bytes=1-2-3",
                                "bytes=", "bytes=-", "bytes=99999999999999999999-"}) {
    INFO(malformed);
    Response r = f.Get(path, "", malformed);
    CHECK(r.status == 200);
    CHECK(r.length == 300);
  }
  CHECK(f.Get(path, "", "bytes=-0").status == 416);
  CHECK(f.Get(path, "", "bytes=300-400").status == 416);
}

TEST_CASE("routes: a video opened directly may play: its CSP allows its own media") {
  Fixture f;
  const std::string csp = Header(f.Get("/media/" + f.video_sha), "Content-Security-Policy");
  CHECK(csp.find("media-src 'self'") != std::string::npos);
  CHECK(csp.find("img-src 'self'") != std::string::npos);
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("script-src") == std::string::npos);
}

TEST_CASE("routes: error JSON stays valid UTF-8 whatever the request said") {
  Fixture f;
  Response r = f.Get("/oembed?url=https://x.com/a/status/1%FF%FE");
  CHECK(r.status == 404);
  CHECK(utf8::is_valid(r.body.begin(), r.body.end()));
  CHECK(r.body.find("\xFF") == std::string::npos);
}

TEST_CASE("routes: a did:web key with a port is served as archived") {
  Fixture f;
  proto::Capture c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  const std::string key = "bsky/did:web:example.com%3A8443/3kabcde2xyz22";
  c.mutable_post()->set_platform(proto::PLATFORM_BLUESKY);
  c.mutable_post()->set_key(key);
  c.mutable_post()->set_id("3kabcde2xyz22");
  c.mutable_post()->clear_media();
  c.mutable_post()->mutable_author()->clear_avatar_url();
  c.mutable_post()->mutable_author()->clear_avatar_blob();
  c.mutable_post()->clear_card();
  REQUIRE_OK(f.store->AddCapture(key, c));
  CHECK(f.Get("/embed/" + key).status == 200);
  CHECK(f.Get("/api/v1/posts/" + key).status == 200);
  CHECK(f.Get("/embed/bsky/did:web:example.com%2F8443/3kabcde2xyz22").status == 400);
  CHECK(f.Get("/embed/bsky/did:web:example.com%3A8443%2F..%2Fx").status == 400);
}

TEST_CASE("routes: /healthz fails when the store cannot be read") {
  Fixture f;
  CHECK(f.Get("/healthz").status == 200);
  std::filesystem::remove_all(f.dir.Sub("db"));
  Response r = f.Get("/healthz");
  CHECK(r.status == 503);
  CHECK(r.body.rfind("unhealthy: ", 0) == 0);
}

}  // namespace
}  // namespace stillpost::server

namespace stillpost::server {
namespace {

TEST_CASE("routes: only http(s) URLs leave the server, in oEmbed and in the API") {
  Fixture f;
  proto::Capture c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  auto* p = c.mutable_post();
  p->set_key("x/777");
  p->set_id("777");
  p->set_url("javascript:alert(1)");
  p->mutable_author()->set_profile_url("javascript:alert(2)");
  p->mutable_author()->set_avatar_url("javascript:alert(3)");
  p->mutable_card()->set_url("data:text/html,<script>x</script>");
  p->mutable_card()->set_image_url("vbscript:x");
  if (p->entities_size() > 0) p->mutable_entities(0)->set_target("javascript:alert(4)");
  AddWithMedia(*f.store, c);
  for (const std::string target :
       {"/oembed?url=https://x.com/a/status/777", "/api/v1/posts/x/777"}) {
    Response r = f.Get(target);
    INFO(target << "\n" << r.body);
    REQUIRE(r.status == 200);
    for (const char* scheme : {"javascript:", "data:", "vbscript:"}) {
      CHECK(r.body.find(scheme) == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace stillpost::server

namespace stillpost::server {
namespace {

TEST_CASE("routes: a flipped bit in the store is never served as a different post") {
  namespace fs = std::filesystem;
  testing::TempDir dir;
  const std::vector<std::string> fixtures = {"upstream/x/photo_single_with_url_entity.json",
                                             "seed-article/x/883326060983353344.json",
                                             "seed-article/x/883275154715705344.json"};
  std::vector<std::string> keys;
  {
    auto s = archive::Store::Open(dir.Sub("db"), {});
    REQUIRE_OK(s);
    for (const auto& f : fixtures) {
      proto::Capture c = FixtureCapture(f);
      keys.push_back(c.post().key());
      AddWithMedia(**s, c);
    }
    REQUIRE_OK((*s)->Compact());  // into SST files, where the bits are flipped
  }
  auto bodies = [&](const std::string& path, std::vector<int>& statuses) {
    std::vector<std::string> out;
    auto s = archive::Store::OpenReadOnly(path, {});
    if (!s) return out;
    Router router(**s, RouterOptions{"https://archive.example", 0});
    for (const auto& k : keys) {
      Response r = router.Handle(Request{"GET", "/embed/" + k, "", ""});
      statuses.push_back(r.status);
      out.push_back(std::string(r.BodyData(), r.BodySize()));
    }
    return out;
  };
  std::vector<int> ok_statuses;
  const std::vector<std::string> original = bodies(dir.Sub("db"), ok_statuses);
  REQUIRE(original.size() == keys.size());
  std::vector<fs::path> tables;
  for (const auto& e : fs::directory_iterator(dir.Sub("db"))) {
    if (e.path().extension() == ".sst") tables.push_back(e.path());
  }
  REQUIRE_FALSE(tables.empty());
  std::mt19937 rng(7);
  int served_same = 0, refused = 0;
  for (int flip = 0; flip < 40; ++flip) {
    const std::string copy = dir.Sub("flip" + std::to_string(flip));
    fs::copy(dir.Sub("db"), copy, fs::copy_options::recursive);
    const fs::path table = fs::path(copy) / tables[rng() % tables.size()].filename();
    std::fstream f(table, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<size_t>(fs::file_size(table));
    const auto at = static_cast<std::streamoff>(rng() % size);
    f.seekg(at);
    char byte = 0;
    f.read(&byte, 1);
    byte = static_cast<char>(byte ^ (1 << (rng() % 8)));
    f.seekp(at);
    f.write(&byte, 1);
    f.close();
    std::vector<int> statuses;
    const std::vector<std::string> got = bodies(copy, statuses);
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("flip " << flip << " at " << at << " of " << table.filename() << ", post " << keys[i]);
      if (statuses[i] == 200) {
        CHECK(got[i] == original[i]);  // served means served as archived
        ++served_same;
      } else {
        ++refused;
      }
    }
    fs::remove_all(copy);
  }
  INFO(served_same << " answers served as archived, " << refused << " refused");
  CHECK(refused > 0);  // some flips land in data blocks: the checksum is what refuses them
}

}  // namespace
}  // namespace stillpost::server

namespace stillpost::server {
namespace {

TEST_CASE("routes: HEAD and unsatisfiable ranges of media answer from the size, reading no bytes") {
  Fixture f;
  const std::string path = "/media/" + f.video_sha;
  Response head = f.router->Handle(Request{"HEAD", path, "", ""});
  CHECK(head.status == 200);
  CHECK(head.blob == nullptr);  // nothing read
  CHECK(head.BodySize() == 300);
  Response part = f.router->Handle(Request{"HEAD", path, "", "bytes=10-19"});
  CHECK(part.status == 206);
  CHECK(part.blob == nullptr);
  CHECK(part.BodySize() == 10);
  Response bad = f.Get(path, "", "bytes=900-");
  CHECK(bad.status == 416);
  CHECK(bad.blob == nullptr);
  CHECK(f.Get(path).blob != nullptr);  // a GET reads
}

}  // namespace
}  // namespace stillpost::server

namespace stillpost::server {
namespace {

TEST_CASE("routes: a range of large media holds no more than the range in memory") {
  Fixture f;
  RouterOptions small;
  small.public_base = "https://archive.example";
  small.media_cache_max_item = 100;  // the 300-byte video counts as large here
  Router router(*f.store, small);
  Response r = router.Handle(Request{"GET", "/media/" + f.video_sha, "", "bytes=10-19"});
  CHECK(r.status == 206);
  CHECK(r.blob == nullptr);  // the whole blob was not read
  REQUIRE(r.read);
  CHECK(r.BodySize() == 10);
  auto piece = r.read(r.offset, r.BodySize());
  REQUIRE_OK(piece);
  CHECK(*piece == f.video.substr(10, 10));
}

}  // namespace
}  // namespace stillpost::server

namespace stillpost::server {
namespace {

std::string Gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out(in.size() * 20 + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

std::string Body(const Response& r) { return r.shared_body ? *r.shared_body : r.body; }

TEST_CASE("routes: text is gzipped for clients that accept it, compressed once per cached embed") {
  Fixture f;
  Request req{"GET", "/embed/x/1641086480675225601", "", ""};
  const std::string plain = Body(f.router->Handle(req));
  CHECK(Header(f.router->Handle(req), "Vary") == "Accept-Encoding, Accept-Datetime");
  req.accept_encoding = "br;q=1.0, gzip;q=0.8, *;q=0.1";
  Response gz = f.router->Handle(req);
  CHECK(Header(gz, "Content-Encoding") == "gzip");
  CHECK(Gunzip(Body(gz)) == plain);
  // Compressed once per cached embed: every gzip answer is the same bytes of the cache entry.
  CHECK(f.router->Handle(req).shared_body.get() == f.router->Handle(req).shared_body.get());
  req.accept_encoding = "gzip;q=0";
  CHECK(Header(f.router->Handle(req), "Content-Encoding").empty());
  for (const char* target : {"/api/v1/posts/x/1641086480675225601", "/embed.js",
                             "/oembed?url=https://x.com/a/status/1641086480675225601", "/"}) {
    Request r{"GET", target, "", ""};
    r.accept_encoding = "gzip, deflate";
    Response a = f.router->Handle(r);
    INFO(target);
    CHECK(a.status == 200);
    CHECK(Header(a, "Content-Encoding") == "gzip");
    CHECK(Gunzip(Body(a)) == Body(f.Get(target)));
  }
  CHECK(AcceptsGzip("GZIP"));
  CHECK(AcceptsGzip("*"));
  CHECK_FALSE(AcceptsGzip("identity"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0.000"));
  CHECK_FALSE(AcceptsGzip("xgzip"));
}

TEST_CASE("routes: embed.js has an ETag, If-Range decides whether a range is served") {
  Fixture f;
  Response js = f.Get("/embed.js");
  const std::string etag = Header(js, "ETag");
  REQUIRE(etag.size() > 2);
  CHECK(f.Get("/embed.js", etag).status == 304);
  const std::string path = "/media/" + f.video_sha;
  const std::string media_etag = "\"" + f.video_sha + "\"";
  Request req{"GET", path, "", "bytes=10-19"};
  req.if_range = media_etag;
  CHECK(f.router->Handle(req).status == 206);
  req.if_range = "\"something-else\"";
  Response whole = f.router->Handle(req);
  CHECK(whole.status == 200);
  CHECK(whole.length == f.video.size());
  req.if_range = "Tue, 01 Dec 2026 12:00:00 GMT";  // we send no Last-Modified: never a match
  CHECK(f.router->Handle(req).status == 200);
}

TEST_CASE("routes: a key that stops at its platform is a 400, not a crash") {
  Fixture f;
  // "/embed/bsky" once terminated the server: std::string::compare past the end (fuzz_router).
  for (const char* target : {"/embed/bsky", "/embed/bsky/", "/embed/mastodon", "/embed/x",
                             "/api/v1/posts/bsky", "/embed/bsky/did:web"}) {
    INFO(target);
    CHECK(f.Get(target).status == 400);
  }
}

TEST_CASE("routes: escaped keys and capitalised hosts are served under their canonical key") {
  Fixture f;
  const Response canonical = f.Get("/embed/x/1641086480675225601");
  for (const char* t : {"/embed/X/1641086480675225601", "/embed/x%2F1641086480675225601",
                        "/embed/%78/1641086480675225601"}) {
    Response r = f.Get(t);
    INFO(t);
    CHECK(r.status == 200);
    CHECK(Header(r, "ETag") == Header(canonical, "ETag"));
  }
  CHECK(NormalizeKey("mastodon/Mastodon.Social/123").value() == "mastodon/mastodon.social/123");
  CHECK(NormalizeKey("bsky/did:web:Example.com%3a8443/3abc").value() ==
        "bsky/did:web:example.com%3A8443/3abc");
  CHECK(NormalizeKey("bsky/did%3Aweb%3Aexample.com%3A8443/3abc").value() ==
        "bsky/did:web:example.com%3A8443/3abc");
  CHECK_FALSE(NormalizeKey("x/1%0A"));
  CHECK_FALSE(NormalizeKey("x/%zz"));
  CHECK(f.Get("/api/v1/posts/X/883326060983353344").status == 200);
  Response icon = f.Get("/favicon.ico");
  CHECK(icon.status == 200);
  CHECK(Header(icon, "Content-Type") == "image/svg+xml");
}

TEST_CASE("routes: under a path prefix every URL we emit keeps it, and requests may carry it") {
  Fixture f;
  Router router(*f.store, RouterOptions{"https://news.example/archive", 16});
  router.set_public_base("https://news.example/archive/");
  for (const char* path :
       {"/embed/x/1641086480675225601", "/archive/embed/x/1641086480675225601"}) {
    Response r = router.Handle(Request{"GET", path, "", ""});
    INFO(path);
    REQUIRE(r.status == 200);
    const std::string body = Body(r);
    CHECK(body.find("src=\"/archive/media/") != std::string::npos);
    CHECK(body.find("src=\"/media/") == std::string::npos);
    CHECK(body.find("href=\"/archive/oembed?") != std::string::npos);
  }
  Response o = router.Handle(
      Request{"GET", "/archive/oembed?url=https://x.com/a/status/1641086480675225601", "", ""});
  REQUIRE(o.status == 200);
  auto doc = boost::json::parse(o.body).as_object();
  const std::string html(doc.at("html").as_string());
  CHECK(html.find("src=\"https://news.example/archive/embed/x/1641086480675225601") !=
        std::string::npos);
  CHECK(html.find("https://news.example/archive/embed.js") != std::string::npos);
  CHECK(std::string(doc.at("thumbnail_url").as_string())
            .rfind("https://news.example/archive/media/", 0) == 0);
  Response home = router.Handle(Request{"GET", "/archive/?q=x/1641086480675225601", "", ""});
  CHECK(home.body.find("src=\"/archive/embed/x/1641086480675225601") != std::string::npos);
  CHECK(home.body.find("\"/embed/") == std::string::npos);
}

TEST_CASE("routes: /api/v1/articles gives an article's posts in order with their states") {
  Fixture f;
  proto::Article a;
  a.set_url("https://news.example/story");
  a.set_title("A story");
  a.add_post_keys("x/883326060983353344");
  a.add_post_keys("x/1641086480675225601");
  a.add_post_keys("x/42");
  REQUIRE(f.store->PutArticle(a).ok());
  Response r = f.Get("/api/v1/articles?url=https://news.example/story");
  REQUIRE(r.status == 200);
  auto doc = boost::json::parse(r.body).as_object();
  const auto& posts = doc.at("posts").as_array();
  REQUIRE(posts.size() == 3);
  CHECK(posts[0].as_object().at("state") == "deleted");
  CHECK(posts[1].as_object().at("state") == "live");
  CHECK(posts[2].as_object().at("state") == "not_archived");
  CHECK(doc.at("counts").as_object().at("deleted").as_int64() == 1);
  CHECK(f.Get("/api/v1/articles?url=https://news.example/other").status == 404);
  CHECK(f.Get("/api/v1/articles").status == 400);
}

}  // namespace
}  // namespace stillpost::server

namespace stillpost::server {
namespace {

TEST_CASE("routes: the home page lists each post once with its state and author, and looks up") {
  Fixture f;
  proto::Capture again = FixtureCapture("upstream/x/photo_single_with_url_entity.json",
                                        testing::kCapturedAt + 5000000);
  AddWithMedia(*f.store, again);  // a second capture of the same post
  proto::Capture never;
  *never.mutable_captured_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(testing::kCapturedAt + 9000000);
  never.mutable_tombstone()->set_kind(proto::Tombstone::KIND_NOT_FOUND);
  REQUIRE_OK(f.store->AddCapture("x/42", never));  // a mistyped id: known, not archived
  proto::Article a;
  a.set_url("https://news.example/story");
  a.set_title("A story");
  a.add_post_keys("x/883326060983353344");
  REQUIRE(f.store->PutArticle(a).ok());

  const std::string home = f.Get("/").body;
  const std::string item = "<li><a href=\"/embed/x/1641086480675225601\">";
  const size_t first = home.find(item);
  REQUIRE(first != std::string::npos);
  CHECK(home.find(item, first + 1) == std::string::npos);  // once, however many captures
  CHECK(home.find("x/42") == std::string::npos);
  CHECK(home.find("<span class=\"st gone\">deleted</span>") != std::string::npos);
  CHECK(home.find("<span class=\"who\">sammy @SamuelSusla</span>") != std::string::npos);
  CHECK(home.find("embed.js\" async></script>") != std::string::npos);  // sizes the lookup

  const std::string lookup = f.Get("/?q=https%3A%2F%2Fnews.example%2Fstory").body;
  CHECK(lookup.find("<h2>A story</h2><ul><li><a href=\"/embed/x/883326060983353344\">") !=
        std::string::npos);
  const std::string post = f.Get("/?q=x/1641086480675225601").body;
  CHECK(post.find("<iframe class=\"stillpost-embed\" src=\"/embed/x/1641086480675225601\"") !=
        std::string::npos);
}

}  // namespace
}  // namespace stillpost::server
