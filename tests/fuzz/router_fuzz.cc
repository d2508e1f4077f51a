// The server's request path, through the router, against a small real store: every answer is a
// status we mean, with a body that is valid UTF-8 where it is text, and no exception escapes.
// Input: method \n target \n If-None-Match \n Range.
#include <google/protobuf/util/time_util.h>
#include <utf8.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "archive/store.h"
#include "common/sha256.h"
#include "server/routes.h"

namespace {

using namespace stillpost;

struct World {
  std::string dir;
  std::unique_ptr<archive::Store> store;
  std::unique_ptr<server::Router> router;
  World() {
    dir = (std::filesystem::temp_directory_path() / ("stillpost-fuzz-" + std::to_string(getpid())))
              .string();
    std::filesystem::remove_all(dir);
    auto s = archive::Store::Open(dir, {});
    if (!s) std::abort();
    store = std::move(*s);
    proto::Capture c;
    *c.mutable_captured_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(1700000000000000);
    auto* p = c.mutable_post();
    p->set_platform(proto::PLATFORM_X);
    p->set_id("20");
    p->set_key("x/20");
    p->set_url("https://x.com/jack/status/20");
    p->set_text("just setting up my twttr");
    p->mutable_author()->set_handle("jack");
    const std::string media = "media bytes";
    archive::BlobWrite blob{media, {}};
    blob.meta.set_mime("image/png");
    p->add_media()->set_blob(Sha256Hex(media));
    if (!store->AddCapture("x/20", c, {&blob, 1})) std::abort();
    router = std::make_unique<server::Router>(*store,
                                              server::RouterOptions{"https://archive.example", 8});
  }
  ~World() {
    router.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view part[4];
  for (auto& p : part) {
    const size_t nl = in.find('\n');
    p = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  server::Request req;
  req.method = part[0];
  req.target = part[1];
  req.if_none_match = part[2];
  req.range = part[3];
  const server::Response r = world.router->Handle(req);
  if (r.status < 200 || r.status > 599) std::abort();
  if (r.blob == nullptr && r.shared_body == nullptr) {
    if (!utf8::is_valid(r.body.begin(), r.body.end())) std::abort();
  }
  return 0;
}
