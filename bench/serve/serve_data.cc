// serve_data: the data of bench/serve. Writes N synthetic X posts (with an avatar each) into a
// stillpost store, one 5 MB video blob, and the same rendered embeds as files for nginx, plus
// keys.txt (one post key per line) and video.txt (the video's digest).
//   serve_data DIR [--posts N]
#include <google/protobuf/util/time_util.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "archive/store.h"
#include "common/sha256.h"
#include "embed/render.h"

namespace fs = std::filesystem;
using google::protobuf::util::TimeUtil;
using stillpost::proto::Capture;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "serve_data: usage: serve_data DIR [--posts N]\n";
    return 2;
  }
  const fs::path dir = argv[1];
  long posts = 100000;
  if (argc >= 4 && std::string(argv[2]) == "--posts") posts = std::stol(argv[3]);
  fs::create_directories(dir / "nginx" / "embed" / "x");
  fs::create_directories(dir / "nginx" / "media");
  auto store = stillpost::archive::Store::Open((dir / "db").string(), {});
  if (!store) {
    std::cerr << "serve_data: " << store.error().ToString() << "\n";
    return 1;
  }
  std::mt19937 rng(7);
  static const char* kWords[] = {"the",    "summit", "meeting", "today",     "leaders",
                                 "press",  "talks",  "report",  "officials", "statement",
                                 "video",  "live",   "city",    "week",      "news",
                                 "update", "photo",  "thread",  "world",     "people"};
  std::ofstream keys(dir / "keys.txt");
  std::vector<stillpost::archive::CaptureWrite> batch;
  std::vector<std::string> avatars;
  const int64_t t0 = 1764316800000000;
  for (long i = 0; i < posts; ++i) {
    const std::string id = std::to_string(1600000000000000000L + i * 7919);
    Capture c;
    *c.mutable_captured_at() = TimeUtil::MicrosecondsToTimestamp(t0 + i);
    c.set_source_url("https://cdn.syndication.twimg.com/tweet-result?id=" + id);
    c.set_http_status(200);
    auto* p = c.mutable_post();
    p->set_platform(stillpost::proto::PLATFORM_X);
    p->set_id(id);
    p->set_key("x/" + id);
    p->set_url("https://x.com/user" + std::to_string(i % 5000) + "/status/" + id);
    p->mutable_author()->set_handle("user" + std::to_string(i % 5000));
    p->mutable_author()->set_display_name("User " + std::to_string(i % 5000));
    p->mutable_author()->set_profile_url("https://x.com/user" + std::to_string(i % 5000));
    *p->mutable_created_at() = TimeUtil::MicrosecondsToTimestamp(t0 - i * 1000);
    std::string text;
    while (text.size() < 240) text += std::string(kWords[rng() % 20]) + " ";
    p->set_text(text);
    p->set_lang("en");
    p->mutable_counts()->set_likes(static_cast<uint64_t>(i % 977));
    avatars.push_back("avatar " + std::to_string(i % 5000) + std::string(2000, 'a'));
    p->mutable_author()->set_avatar_blob(stillpost::Sha256Hex(avatars.back()));
    stillpost::archive::CaptureWrite w;
    w.key = p->key();
    w.capture = c;
    batch.push_back(std::move(w));
    keys << "x/" << id << "\n";
    if (batch.size() == 500 || i + 1 == posts) {
      for (size_t k = 0; k < batch.size(); ++k) {
        batch[k].blobs.push_back({avatars[k], {}});
        batch[k].blobs.back().meta.set_mime("image/jpeg");
      }
      if (auto r = (*store)->AddCaptures(batch); !r) {
        std::cerr << "serve_data: " << r.error().ToString() << "\n";
        return 1;
      }
      for (const auto& done : batch) {
        stillpost::proto::PostState s;
        s.set_current(stillpost::proto::PostState::CURRENT_LIVE);
        *s.mutable_first_seen() = done.capture.captured_at();
        std::ofstream(dir / "nginx" / "embed" / "x" / done.capture.post().id())
            << stillpost::embed::RenderEmbed({s, done.capture}, {});
      }
      batch.clear();
      avatars.clear();
    }
  }
  // One 5 MB video, in the store and as a file.
  std::string video(5 << 20, '\0');
  for (auto& ch : video) ch = static_cast<char>(rng());
  std::memcpy(video.data(),
              "\0\0\0\x18"
              "ftypmp42",
              12);
  const std::string sha = stillpost::Sha256Hex(video);
  Capture v;
  *v.mutable_captured_at() = TimeUtil::MicrosecondsToTimestamp(t0 + posts + 1);
  v.mutable_post()->set_id("1");
  v.mutable_post()->set_key("x/1");
  auto* m = v.mutable_post()->add_media();
  m->set_kind(stillpost::proto::Media::KIND_VIDEO);
  m->set_blob(sha);
  stillpost::proto::BlobMeta meta;
  meta.set_mime("video/mp4");
  std::vector<stillpost::archive::BlobWrite> blobs = {{video, meta}};
  if (auto r = (*store)->AddCapture("x/1", v, blobs); !r) {
    std::cerr << "serve_data: " << r.error().ToString() << "\n";
    return 1;
  }
  std::ofstream(dir / "nginx" / "media" / sha, std::ios::binary) << video;
  std::ofstream(dir / "video.txt") << sha << "\n";
  (void)(*store)->Compact();
  std::cout << "serve_data: " << posts << " posts, video " << sha << "\n";
  return 0;
}
