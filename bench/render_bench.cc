// render_bench: embeds rendered per second on one core, in process, from the X fixtures
// (mapped by the real adapter), cycling through them and both themes.
//   render_bench FIXTURES_DIR [--seconds S]
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/sha256.h"
#include "embed/render.h"
#include "fetcher/media.h"
#include "fetcher/x/x.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "render_bench: usage: render_bench FIXTURES_DIR [--seconds S]\n";
    return 2;
  }
  const std::string dir = argv[1];
  double seconds = 5;
  if (argc >= 4 && std::string(argv[2]) == "--seconds") seconds = std::stod(argv[3]);
  std::vector<stillpost::proto::Capture> captures;
  for (const char* f : {"upstream/x/photo_single_with_url_entity.json",
                        "upstream/x/card_summary_large_image_mentions_nonbmp_emoji.json",
                        "upstream/x/quote_tweet.json", "upstream/x/video_mp4_variants_and_hls.json",
                        "upstream/x/text_only_business_label_empty_entities.json",
                        "seed-article/x/883326060983353344.json"}) {
    std::ifstream in(dir + "/" + f);
    std::stringstream body;
    body << in.rdbuf();
    auto mapped = stillpost::fetcher::x::MapTweetResult(body.str());
    if (!mapped) {
      std::cerr << "render_bench: " << f << ": " << mapped.error().message() << "\n";
      return 1;
    }
    stillpost::proto::Capture c;
    *c.mutable_captured_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(1764316800000000);
    *c.mutable_post() = std::move(mapped->post);
    for (auto& slot : stillpost::fetcher::MediaSlots(*c.mutable_post()))
      *slot.blob = stillpost::Sha256Hex(*slot.url);
    captures.push_back(std::move(c));
  }
  stillpost::proto::PostState state;
  state.set_current(stillpost::proto::PostState::CURRENT_LIVE);
  size_t n = 0, bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    for (int k = 0; k < 100; ++k, ++n) {
      stillpost::embed::EmbedOptions o;
      o.theme = (n & 1) ? stillpost::embed::Theme::kDark : stillpost::embed::Theme::kLight;
      bytes += stillpost::embed::RenderEmbed({state, captures[n % captures.size()]}, o).size();
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "render_bench: " << n << " embeds in " << secs
            << " s on one thread = " << static_cast<long>(static_cast<double>(n) / secs)
            << " embeds/s (avg " << bytes / n << " bytes)\n";
  return 0;
}
