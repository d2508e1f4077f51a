// `stillpost serve` as a process: real Beast server on port 0, real HTTP client, and
// `stillpost archive`-style writes from another process while it serves.
#include "tests/support/serve.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "archive/store.h"
#include "common/sha256.h"
#include "server/routes.h"
#include "server/server.h"
#include "tests/support/posts.h"
#include "tests/support/sample.h"
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
  CHECK(http.Get(serve.base() + "/embed/x/1641086480675225601").status == 200);
  CHECK(http.Get(serve.base() + "/no/such/route").status == 404);
  // Every request above was counted by the server, by route and status, and timed.
  const std::string metrics = http.Get(serve.base() + "/metrics").body;
  CHECK(metrics.find("stillpost_requests_total{route=\"embed\",status=\"200\"} 2\n") !=
        std::string::npos);
  CHECK(metrics.find("stillpost_requests_total{route=\"embed\",status=\"400\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("stillpost_requests_total{route=\"media\",status=\"206\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("stillpost_requests_total{route=\"other\",status=\"404\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("stillpost_requests_total{route=\"healthz\",status=\"200\"} 1\n") !=
        std::string::npos);
  // 7 requests before /metrics itself: healthz, embed, HEAD media, range, 400, embed, 404.
  CHECK(metrics.find("stillpost_request_seconds_count 7\n") != std::string::npos);
  CHECK(metrics.find("stillpost_store_posts 1\n") != std::string::npos);
  auto [code, rest] = serve.Stop();
  CHECK(code == 0);
  CHECK(rest.find("stopped") != std::string::npos);
}

TEST_CASE("serve: --log gets one access line per request and an error line per failure") {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  {
    auto store = archive::Store::Open(db, {});
    REQUIRE_OK(store);
    AddFixture(**store, "upstream/x/photo_single_with_url_entity.json", testing::kCapturedAt);
  }
  const std::string log = dir.Sub("serve.log");
  ServeProcess serve(db, {"--log", log});
  HttpGetter http;
  CHECK(http.Get(serve.base() + "/embed/x/1641086480675225601").status == 200);
  CHECK(http.Get(serve.base() + "/embed/x/1?q=%22%0A").status == 404);
  auto [code, rest] = serve.Stop();  // the log is written out on the way down
  CHECK(code == 0);
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 2);
  // The Combined Log Format, then the seconds taken and the route.
  const std::regex access(
      R"re(^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET (\S+) HTTP/1\.1" (\d{3}) (\d+) "-" "[^"]*" \d+\.\d{6} (\w+)$)re");
  std::smatch m;
  REQUIRE(std::regex_match(lines[0], m, access));
  CHECK(m[1] == "/embed/x/1641086480675225601");
  CHECK(m[2] == "200");
  CHECK(std::stoul(m[3]) > 1000);
  CHECK(m[4] == "embed");
  // What the request said is logged as sent, escapes and all: no quote or line break of its own.
  REQUIRE(std::regex_match(lines[1], m, access));
  CHECK(m[1] == "/embed/x/1?q=%22%0A");
  CHECK(m[2] == "404");
}

TEST_CASE("serve --replica: captures another process writes while it serves show within 2 s") {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  {
    auto store = archive::Store::Open(db, {});
    REQUIRE_OK(store);
    AddFixture(**store, "upstream/x/photo_single_with_url_entity.json", testing::kCapturedAt);
  }
  ServeProcess serve(db, {"--replica"});
  HttpGetter http;
  const std::string url = serve.base() + "/api/v1/posts/x/883326060983353344";
  CHECK(http.Get(url).status == 404);
  auto writer = archive::Store::Open(db, {});  // a replica holds no lock: this is the writer
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

namespace stillpost {
namespace {

// A TCP connection to 127.0.0.1:port, with a receive buffer of `rcvbuf` bytes when given; -1
// when it cannot connect.
int ConnectLoopback(int port, int rcvbuf = 0) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One raw request on a new connection; everything the server sent until it closed or 2 s passed.
std::string Raw(const std::string& base, const std::string& request) {
  const int fd = ConnectLoopback(std::stoi(base.substr(base.rfind(':') + 1)));
  REQUIRE(fd >= 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST_CASE("serve: requests RFC 9112 refuses are refused, Expect and bodies are answered at once") {
  testing::TempDir dir;
  REQUIRE_OK(archive::Store::Open(dir.Sub("db"), {}));
  ServeProcess serve(dir.Sub("db"));
  const std::string ok = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
  CHECK(Raw(serve.base(), ok).rfind("HTTP/1.1 200", 0) == 0);
  for (const std::string bad : {
           "GET /healthz HTTP/1.1\r\n\r\n",                                 // no Host
           "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",           // two
           "GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",  // obs-fold
           "GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
           "GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
           "POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
           "Content-Length: 3\r\n\r\nabc",
       }) {
    INFO(bad);
    const std::string r = Raw(serve.base(), bad);
    CHECK(r.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(r.find("Connection: close") != std::string::npos);
  }
  CHECK(Raw(serve.base(), "GET /healthz HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n")
            .rfind("HTTP/1.1 417", 0) == 0);
  // A body we never read: the answer comes at once, without a 100 Continue or the body.
  const auto start = std::chrono::steady_clock::now();
  const std::string expect = Raw(serve.base(),
                                 "POST /embed/x/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n"
                                 "Expect: 100-continue\r\n\r\n");
  CHECK(expect.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
  // HTTP/1.0 needs no Host.
  CHECK(Raw(serve.base(), "GET /healthz HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 200", 0) == 0);
}

TEST_CASE("serve: at the open-file limit the server backs off, sheds idle clients, and serves") {
  testing::TempDir dir;
  REQUIRE_OK(archive::Store::Open(dir.Sub("db"), {}));
  // 64 descriptors: RocksDB, the listener and the pipes take some; idle clients the rest.
  testing::Child c = testing::Spawn(
      "/usr/bin/prlimit", {"--nofile=64:64", testing::StillpostBinary(), "--db", dir.Sub("db"),
                           "serve", "--listen", "127.0.0.1:0", "--threads", "1"});
  const std::string line = testing::ReadLine(c.out);
  REQUIRE(line.rfind("serving ", 0) == 0);
  const std::string base = line.substr(line.rfind(" on ") + 4);
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  std::vector<int> idle;
  for (int i = 0; i < 120; ++i) {
    if (const int fd = ConnectLoopback(port); fd >= 0) idle.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto cpu = [&] {  // user + system ticks of the server so far
    std::ifstream stat("/proc/" + std::to_string(c.pid) + "/stat");
    std::string field;
    long ticks = 0;
    for (int i = 1; i <= 15 && stat >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stol(field);
    }
    return ticks;
  };
  const long before = cpu();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long spent = cpu() - before;
  CHECK(spent < 30);  // ticks of 10 ms: a spinning accept loop burns ~100 a second
  HttpGetter http;
  auto r = http.Get(base + "/healthz");
  CHECK(r.status == 200);
  for (int fd : idle) close(fd);
  kill(c.pid, SIGKILL);
  waitpid(c.pid, nullptr, 0);
  close(c.out);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE("serve: large media stream from the store a piece at a time, ranges read only theirs") {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  std::string video(20u << 20, '\0');  // 20 MB: over the media cache's largest item
  for (size_t i = 0; i < video.size(); ++i) video[i] = static_cast<char>((i * 2654435761u) >> 24);
  const std::string sha = Sha256Hex(video);
  {
    auto store = archive::Store::Open(db, {});
    REQUIRE_OK(store);
    proto::Capture c = testing::SampleCapture("5", testing::kCapturedAt, 5);
    c.mutable_post()->clear_media();
    c.mutable_post()->add_media()->set_blob(sha);
    proto::BlobMeta meta;
    meta.set_mime("video/mp4");
    std::vector<archive::BlobWrite> blobs = {{video, meta}};
    REQUIRE_OK((*store)->AddCapture("x/5", c, blobs));
  }
  ServeProcess serve(db);
  HttpGetter http;
  auto whole = http.Get(serve.base() + "/media/" + sha);
  CHECK(whole.status == 200);
  CHECK(whole.body.size() == video.size());
  CHECK(Sha256Hex(whole.body) == sha);
  auto first = http.Get(serve.base() + "/media/" + sha, "0-0");
  CHECK(first.status == 206);
  CHECK(first.body == video.substr(0, 1));
  const size_t at = (3u << 20) - 10;  // across a piece boundary
  auto part = http.Get(serve.base() + "/media/" + sha,
                       std::to_string(at) + "-" + std::to_string(at + (2u << 20)));
  CHECK(part.status == 206);
  CHECK(part.body == video.substr(at, (2u << 20) + 1));
  CHECK(part.headers.find("Content-Range: bytes " + std::to_string(at) + "-") != std::string::npos);
  auto head = http.Get(serve.base() + "/media/" + sha, "", true);
  CHECK(head.status == 200);
  CHECK(head.headers.find("Content-Length: " + std::to_string(video.size())) != std::string::npos);
  // Still on the same connection afterwards: the stream ended cleanly.
  CHECK(http.Get(serve.base() + "/healthz").new_connections == 0);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE("serve: a slow reader gets the whole response, only a reader that takes nothing is cut") {
  testing::TempDir dir;
  std::string video(8u << 20, 'v');
  const std::string sha = Sha256Hex(video);
  auto store = archive::Store::Open(dir.Sub("db"), {});
  REQUIRE_OK(store);
  proto::Capture c = testing::SampleCapture("6", testing::kCapturedAt, 6);
  c.mutable_post()->clear_media();
  c.mutable_post()->add_media()->set_blob(sha);
  proto::BlobMeta meta;
  meta.set_mime("video/mp4");
  std::vector<archive::BlobWrite> blobs = {{video, meta}};
  REQUIRE_OK((*store)->AddCapture("x/6", c, blobs));
  server::Router router(**store, server::RouterOptions{"http://127.0.0.1", 8});
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  options.read_timeout = std::chrono::seconds(1);  // once, the whole write's deadline
  options.write_progress_timeout = std::chrono::seconds(2);
  server::Server srv(router, options);
  REQUIRE_OK(srv.Start());
  // Reads the response, pausing `pause` after each read, or, with `stall`, once after the first.
  auto fetch = [&](std::chrono::milliseconds pause, bool stall) {
    // A small window, so the server waits on this reader.
    const int fd = ConnectLoopback(srv.port(), 32 << 10);
    REQUIRE(fd >= 0);
    const std::string req = "GET /media/" + sha + " HTTP/1.1\r\nHost: a\r\n\r\n";
    REQUIRE(send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    size_t got = 0;
    char buf[64 << 10];
    bool paused = false;
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
      got += static_cast<size_t>(n);
      if (got > video.size()) break;
      if (!stall || !paused) std::this_thread::sleep_for(pause);
      paused = true;
    }
    close(fd);
    return got;
  };
  // 8 MB through a 32 KB window, a read each 10 ms: seconds in all, far past 1 s, and never
  // 2 s without progress.
  const auto start = std::chrono::steady_clock::now();
  CHECK(fetch(std::chrono::milliseconds(10), false) > video.size());  // head + the whole body
  CHECK(std::chrono::steady_clock::now() - start > std::chrono::seconds(1));
  // A reader that stops reading for 3.5 s is dropped once 2 s pass without progress.
  CHECK(fetch(std::chrono::milliseconds(3500), true) < video.size());
  srv.Stop();
  srv.Wait();
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

// The head of a raw response, without its body.
std::string HeadOf(const std::string& response) {
  return response.substr(0, response.find("\r\n\r\n") + 2);
}

TEST_CASE("serve: every response has a Date, a 304 carries no body headers, gzip on request") {
  testing::TempDir dir;
  {
    auto store = archive::Store::Open(dir.Sub("db"), {});
    REQUIRE_OK(store);
    AddFixture(**store, "upstream/x/photo_single_with_url_entity.json", testing::kCapturedAt);
  }
  ServeProcess serve(dir.Sub("db"));
  const std::string get =
      "GET /embed/x/1641086480675225601 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n";
  const std::string full = Raw(serve.base(), get + "\r\n");
  const std::string head = HeadOf(full);
  INFO(head);
  REQUIRE(head.rfind("HTTP/1.1 200", 0) == 0);
  std::smatch date;
  CHECK(std::regex_search(
      head, date,
      std::regex(
          R"(\r\nDate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n)")));
  std::smatch etag;
  REQUIRE(std::regex_search(head, etag, std::regex("\r\nETag: (\"[^\"]+\")\r\n")));
  const std::string not_modified =
      HeadOf(Raw(serve.base(), get + "If-None-Match: " + etag[1].str() + "\r\n\r\n"));
  INFO(not_modified);
  CHECK(not_modified.rfind("HTTP/1.1 304", 0) == 0);
  CHECK(not_modified.find("\r\nDate: ") != std::string::npos);
  CHECK(not_modified.find("\r\nETag: " + etag[1].str()) != std::string::npos);
  for (const char* body_header :
       {"Content-Length", "Content-Type", "Content-Encoding", "Content-Security-Policy"}) {
    CHECK(not_modified.find(std::string("\r\n") + body_header + ":") == std::string::npos);
  }
  const std::string gz = HeadOf(Raw(serve.base(), get + "Accept-Encoding: gzip\r\n\r\n"));
  CHECK(gz.find("\r\nContent-Encoding: gzip\r\n") != std::string::npos);
  // The latest embed is also a Memento TimeGate: it varies by Accept-Datetime too.
  CHECK(gz.find("\r\nVary: Accept-Encoding, Accept-Datetime\r\n") != std::string::npos);
  for (const char* path : {"/healthz", "/nope", "/favicon.ico"}) {
    const std::string r =
        Raw(serve.base(),
            std::string("GET ") + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    INFO(path);
    CHECK(HeadOf(r).find("\r\nDate: ") != std::string::npos);
  }
}

}  // namespace
}  // namespace stillpost
