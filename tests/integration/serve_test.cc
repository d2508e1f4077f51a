// `stillpost serve` as a process: real Beast server on port 0, real HTTP client, and
// `stillpost archive`-style writes from another process while it serves.
#include "tests/support/serve.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "archive/store.h"
#include "tests/support/posts.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

using testing::FixtureCapture;
using testing::HttpGetter;
using testing::ServeProcess;

void AddFixture(archive::Store& store, const std::string& fixture, int64_t at) {
  proto::Capture c = FixtureCapture(fixture, at);
  std::vector<std::string> datas;
  for (auto& slot : fetcher::MediaSlots(*c.mutable_post())) datas.push_back(*slot.url + " bytes");
  std::vector<archive::BlobWrite> blobs;
  for (auto& slot : fetcher::MediaSlots(*c.mutable_post()))
    *slot.blob = Sha256Hex(*slot.url + " bytes");
  for (const auto& d : datas) blobs.push_back({d, {}});
  REQUIRE_OK(store.AddCapture(c.post().key(), c, blobs));
}

TEST_CASE("serve: routes over real HTTP with keep-alive, ranges, and a clean stop") {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  std::string avatar;
  {
    auto store = archive::Store::Open(db, {});
    REQUIRE_OK(store);
    AddFixture(**store, "upstream/x/photo_single_with_url_entity.json", testing::kCapturedAt);
    avatar = (*store)->LatestGood("x/1641086480675225601")->post().author().avatar_blob();
  }
  ServeProcess serve(db);
  HttpGetter http;
  CHECK(http.Get(serve.base() + "/healthz").body == "ok\n");
  auto embed = http.Get(serve.base() + "/embed/x/1641086480675225601");
  CHECK(embed.status == 200);
  CHECK(embed.new_connections == 0);  // the connection of /healthz was kept alive
  CHECK(embed.body.find("If you are interested about View Flattening") != std::string::npos);
  auto head = http.Get(serve.base() + "/media/" + avatar, "", true);
  CHECK(head.status == 200);
  CHECK(head.headers.find("Content-Length: ") != std::string::npos);
  CHECK(head.body.empty());
  auto part = http.Get(serve.base() + "/media/" + avatar, "0-3");
  CHECK(part.status == 206);
  CHECK(part.body == "http");
  CHECK(http.Get(serve.base() + "/embed/x/nope").status == 400);
  CHECK(http.Get(serve.base() + "/metrics").body.find("stillpost_requests_total") !=
        std::string::npos);
  auto [code, rest] = serve.Stop();
  CHECK(code == 0);
  CHECK(rest.find("stopped") != std::string::npos);
}

TEST_CASE("serve: captures written by another process while it serves show within 2 s") {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  {
    auto store = archive::Store::Open(db, {});
    REQUIRE_OK(store);
    AddFixture(**store, "upstream/x/photo_single_with_url_entity.json", testing::kCapturedAt);
  }
  ServeProcess serve(db);
  HttpGetter http;
  const std::string url = serve.base() + "/api/v1/posts/x/883326060983353344";
  CHECK(http.Get(url).status == 404);
  auto writer = archive::Store::Open(db, {});  // the server holds no lock: this is the writer
  REQUIRE_OK(writer);
  AddFixture(**writer, "seed-article/x/883326060983353344.json", testing::kCapturedAt + 1);
  const auto start = std::chrono::steady_clock::now();
  long status = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    status = http.Get(url).status;
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("waited " << waited << " s");
  CHECK(status == 200);
  CHECK(waited < 2.0);
  CHECK(http.Get(serve.base() + "/embed/x/883326060983353344").body.find("Get a grip man") !=
        std::string::npos);
}

}  // namespace
}  // namespace stillpost
