#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "fetcher/archiver.h"
#include "fetcher/x.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {
namespace {

// Inputs as given: arguments, then the lines of --from (blank lines and # comments skipped).
Result<std::vector<std::string>> Inputs(const ArchiveOptions& options) {
  std::vector<std::string> inputs = options.posts;
  if (!options.from.empty()) {
    std::ifstream in(options.from);
    if (!in) return NotFoundError("cannot read " + options.from);
    std::string line;
    while (std::getline(in, line)) {
      const size_t start = line.find_first_not_of(" \t\r");
      if (start == std::string::npos || line[start] == '#') continue;
      inputs.push_back(line.substr(start, line.find_last_not_of(" \t\r") - start + 1));
    }
  }
  return inputs;
}

}  // namespace

Result<fetcher::HttpOptions> HttpOptionsFrom(const FetchFlags& flags) {
  fetcher::HttpOptions http;
  auto& l = http.limits;
  l.max_connections = flags.max_connections;
  l.max_connections_per_host = flags.max_per_host;
  l.connect_timeout = std::chrono::milliseconds(flags.connect_timeout_ms);
  l.json_timeout = std::chrono::milliseconds(flags.timeout_ms);
  l.media_timeout = std::chrono::milliseconds(flags.media_timeout_ms);
  l.max_attempts = flags.attempts;
  l.backoff_base = std::chrono::milliseconds(flags.backoff_ms);
  l.max_json_bytes = flags.max_json_bytes;
  l.max_image_bytes = flags.max_image_bytes;
  l.max_video_bytes = flags.max_video_bytes;
  http.allow_private_upstreams = flags.allow_private_upstreams;
  if (const char* env = std::getenv("STILLPOST_UPSTREAM"); env != nullptr) {
    if (Status s = http.upstreams.AddList(env); !s.ok())
      return s.WithContext("$STILLPOST_UPSTREAM");
  }
  for (const auto& spec : flags.upstreams) SP_RETURN_IF_ERROR(http.upstreams.Add(spec));
  return http;
}

int RunArchive(const GlobalOptions& global, const ArchiveOptions& options) {
  auto inputs = Inputs(options);
  if (!inputs) return Fail(inputs.error());
  if (inputs->empty()) {
    std::cerr << "stillpost: archive needs a post URL or id, or --from FILE\n";
    return kExitUsage;
  }
  std::vector<std::string> ids;
  for (const auto& input : *inputs) {
    auto id = fetcher::x::ParsePostRef(input, options.fetch.nitter_hosts);
    if (!id) {
      std::cerr << "stillpost: " << id.error().message() << '\n';
      return kExitUsage;
    }
    ids.push_back(*id);
  }
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) {
    std::cerr << "stillpost: " << http.error().message() << '\n';
    return kExitUsage;
  }
  auto store = OpenStore(global, /*create=*/true);
  if (!store) return Fail(store.error());

  fetcher::ArchiveOptions archive_options;
  archive_options.http = std::move(*http);
  archive_options.nitter_hosts = options.fetch.nitter_hosts;
  fetcher::Archiver archiver(**store, std::move(archive_options));
  size_t captured = 0, gone = 0, failed = 0, media = 0;
  uint64_t bytes = 0;
  auto report = [&](const fetcher::PostOutcome& o) {
    switch (o.kind) {
      case fetcher::PostOutcome::Kind::kCaptured:
        ++captured;
        break;
      case fetcher::PostOutcome::Kind::kGone:
        ++gone;
        break;
      case fetcher::PostOutcome::Kind::kFailed:
        ++failed;
        break;
    }
    media += static_cast<size_t>(o.media);
    bytes += o.bytes_stored;
    if (options.json) {
      boost::json::object j;
      j["key"] = o.key;
      j["outcome"] = fetcher::OutcomeName(o);
      j["media"] = o.media;
      j["bytes"] = o.bytes_stored;
      if (!o.detail.empty()) j["detail"] = o.detail;
      std::cout << boost::json::serialize(j) << std::endl;
      return;
    }
    std::cout << o.key << "  " << fetcher::OutcomeName(o);
    if (o.kind != fetcher::PostOutcome::Kind::kFailed) {
      std::cout << "  " << o.media << " media  " << HumanBytes(o.bytes_stored);
    }
    if (!o.detail.empty()) std::cout << "  (" << o.detail << ")";
    std::cout << std::endl;
  };
  archiver.ArchiveX(ids, report);
  if (!options.json) {
    std::cout << captured + gone + failed << " posts: " << captured << " captured, " << gone
              << " gone, " << failed << " failed; " << media << " media files, "
              << HumanBytes(bytes) << " stored\n";
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace stillpost::cli
