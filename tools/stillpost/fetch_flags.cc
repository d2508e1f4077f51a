#include "tools/stillpost/fetch_flags.h"

#include <boost/url/parse.hpp>
#include <cstdlib>

namespace stillpost::cli {

void AddFetchFlags(CLI::App& cmd, FetchFlags& f) {
  cmd.add_option("--upstream", f.upstreams,
                 "Send requests for HOST to BASE (HOST=BASE, or *=BASE for every host); "
                 "repeatable; also $STILLPOST_UPSTREAM, comma-separated")
      ->option_text("HOST=BASE")
      ->allow_extra_args(false);
  cmd.add_flag("--allow-private-upstreams", f.allow_private_upstreams,
               "Let --upstream targets be private or loopback addresses (tests, the demo)");
  cmd.add_option("--nitter-host", f.nitter_hosts, "Treat HOST/USER/status/ID links as X posts")
      ->option_text("HOST")
      ->allow_extra_args(false);
  cmd.add_option("--max-connections", f.max_connections, "Connections at once, all hosts")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd.add_option("--max-per-host", f.max_per_host, "Connections at once to one host")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd.add_option("--connect-timeout-ms", f.connect_timeout_ms, "Connect timeout")
      ->capture_default_str()
      ->check(CLI::Range(1L, 600'000L));
  cmd.add_option("--timeout-ms", f.timeout_ms, "Whole-request timeout for JSON and HTML")
      ->capture_default_str()
      ->check(CLI::Range(1L, 3'600'000L));
  cmd.add_option("--media-timeout-ms", f.media_timeout_ms, "Whole-request timeout for media")
      ->capture_default_str()
      ->check(CLI::Range(1L, 86'400'000L));
  cmd.add_option("--attempts", f.attempts, "Tries per request (timeouts, 429, 5xx)")
      ->capture_default_str()
      ->check(CLI::Range(1, 20));
  cmd.add_option("--backoff-ms", f.backoff_ms, "First retry delay; doubles per try, jittered")
      ->capture_default_str()
      ->check(CLI::Range(0L, 600'000L));
  cmd.add_option("--max-json-bytes", f.max_json_bytes, "Size cap of a JSON answer")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 32));
  cmd.add_option("--max-image-bytes", f.max_image_bytes, "Size cap of an image")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 34));
  cmd.add_option("--max-video-bytes", f.max_video_bytes, "Size cap of a video")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 40));
  cmd.add_option("--max-media-per-post", f.max_media_per_post,
                 "Media files (photos, videos, posters, card images) kept and fetched per post")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd.add_option("--max-emoji-per-post", f.max_emoji_per_post,
                 "Distinct custom-emoji images fetched per post")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd.add_option("--max-avatars-per-post", f.max_avatars_per_post,
                 "Avatars fetched per post (author, quoted post, parent)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd.add_option("--post-timeout-ms", f.post_timeout_ms,
                 "Time one post may take, all its requests together (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0L, 86'400'000L));
  cmd.add_option("--proxy", f.proxy,
                 "Send every request through this proxy (http://HOST:PORT); without it no proxy "
                 "is used, whatever HTTPS_PROXY and friends say")
      ->option_text("URL");
}

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
  if (!flags.proxy.empty()) {
    auto proxy = boost::urls::parse_absolute_uri(flags.proxy);
    if (!proxy ||
        (proxy->scheme() != "http" && proxy->scheme() != "https" && proxy->scheme() != "socks5h") ||
        proxy->host().empty()) {
      return InvalidArgumentError("--proxy '" + flags.proxy +
                                  "' is not a proxy URL (http://HOST:PORT, https://, socks5h://)");
    }
    http.proxy = flags.proxy;
  }
  if (const char* env = std::getenv("STILLPOST_UPSTREAM"); env != nullptr) {
    if (Status s = http.upstreams.AddList(env); !s.ok())
      return s.WithContext("$STILLPOST_UPSTREAM");
  }
  for (const auto& spec : flags.upstreams) SP_RETURN_IF_ERROR(http.upstreams.Add(spec));
  return http;
}

fetcher::ArchiveOptions ArchiveOptionsFrom(const FetchFlags& fetch, fetcher::HttpOptions http) {
  fetcher::ArchiveOptions o;
  o.http = std::move(http);
  o.nitter_hosts = fetch.nitter_hosts;
  o.max_media_per_post = fetch.max_media_per_post;
  o.max_emoji_per_post = fetch.max_emoji_per_post;
  o.max_avatars_per_post = fetch.max_avatars_per_post;
  o.post_timeout = std::chrono::milliseconds(fetch.post_timeout_ms);
  return o;
}

}  // namespace stillpost::cli
