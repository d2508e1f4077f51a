// The flags of every command that fetches (archive, recheck, rewrite URL; serve's archiver
// later), in one place: their defaults, their CLI11 declarations and what they make.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "fetcher/archiver.h"
#include "fetcher/http.h"

namespace stillpost::cli {

// The fetch flags with their defaults.
struct FetchFlags {
  std::vector<std::string> upstreams;  // --upstream HOST=BASE, after $STILLPOST_UPSTREAM
  bool allow_private_upstreams = false;
  std::vector<std::string> nitter_hosts;
  int max_connections = fetcher::HttpLimits{}.max_connections;
  int max_per_host = fetcher::HttpLimits{}.max_connections_per_host;
  long connect_timeout_ms = fetcher::HttpLimits{}.connect_timeout.count();
  long timeout_ms = fetcher::HttpLimits{}.json_timeout.count();
  long media_timeout_ms = fetcher::HttpLimits{}.media_timeout.count();
  int attempts = fetcher::HttpLimits{}.max_attempts;
  long backoff_ms = fetcher::HttpLimits{}.backoff_base.count();
  uint64_t max_json_bytes = fetcher::HttpLimits{}.max_json_bytes;
  uint64_t max_image_bytes = fetcher::HttpLimits{}.max_image_bytes;
  uint64_t max_video_bytes = fetcher::HttpLimits{}.max_video_bytes;
  std::string proxy;  // --proxy URL; no proxy otherwise, whatever the environment says
  int max_media_per_post = fetcher::ArchiveOptions{}.max_media_per_post;
  int max_emoji_per_post = fetcher::ArchiveOptions{}.max_emoji_per_post;
  int max_avatars_per_post = fetcher::ArchiveOptions{}.max_avatars_per_post;
  long post_timeout_ms = fetcher::ArchiveOptions{}.post_timeout.count();
};

// Declares the flags on a command.
void AddFetchFlags(CLI::App& cmd, FetchFlags& flags);
// The HTTP client's options: limits, proxy, and upstreams ($STILLPOST_UPSTREAM, then each
// --upstream). InvalidArgument for a malformed --proxy or upstream.
Result<fetcher::HttpOptions> HttpOptionsFrom(const FetchFlags& flags);
// The archiver's options: `http` and the per-post bounds.
fetcher::ArchiveOptions ArchiveOptionsFrom(const FetchFlags& flags, fetcher::HttpOptions http);

}  // namespace stillpost::cli
