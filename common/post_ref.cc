#include "common/post_ref.h"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cstring>
#include <optional>

#include "common/post_key.h"
#include "common/web.h"

namespace stillpost {
namespace {

constexpr size_t kMaxIdDigits = 19;  // snowflakes fit in an int64
constexpr const char* kOwnHosts[] = {"twitter.com",   "x.com",      "fxtwitter.com",
                                     "vxtwitter.com", "fixupx.com", "fixvx.com"};

bool IsId(std::string_view s) {
  return !s.empty() && s.size() <= kMaxIdDigits &&
         s.find_first_not_of("0123456789") == std::string_view::npos;
}

Status NotAPost(std::string_view input, std::string_view why) {
  return InvalidArgumentError("not an X post: " + std::string(input) + " (" + std::string(why) +
                              ")");
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

bool IsXHost(std::string_view host_in, const std::vector<std::string>& extra_hosts) {
  std::string host = boost::algorithm::to_lower_copy(std::string(host_in));
  for (const auto& h : extra_hosts) {
    if (boost::algorithm::iequals(host, h)) return true;
  }
  // The hosts themselves and any subdomain: www., mobile., m., and the language hosts
  // (de.twitter.com, fr.twitter.com) that old links and localized pages carry.
  for (const char* own : kOwnHosts) {
    if (HostIsOrUnder(host, own)) return true;
  }
  return false;
}

Result<std::string> ParseXPostRef(std::string_view input_raw,
                                  const std::vector<std::string>& extra_hosts) {
  std::string_view input = input_raw;
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.front()))) {
    input.remove_prefix(1);
  }
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.back()))) {
    input.remove_suffix(1);
  }
  if (input.empty()) return InvalidArgumentError("empty post reference");
  if (IsId(input)) return std::string(input);
  if (input.find_first_not_of("0123456789") == std::string_view::npos) {
    return NotAPost(input, "an X id is at most 19 digits");
  }

  std::string text(input);
  if (text.find("://") == std::string::npos) text = "https://" + text;
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return NotAPost(input, "not a URL");
  const boost::urls::url_view url = *parsed;
  if (url.scheme_id() != boost::urls::scheme::http &&
      url.scheme_id() != boost::urls::scheme::https) {
    return NotAPost(input, "not an http(s) URL");
  }
  if (!IsXHost(url.host(), extra_hosts)) return NotAPost(input, "not an X host");

  // Very old links keep the path in the fragment: twitter.com/#!/user/status/ID.
  std::string path = url.path();
  if (url.has_fragment() && url.fragment().rfind("!/", 0) == 0 && (path.empty() || path == "/")) {
    path = url.fragment().substr(1);
  }
  const std::vector<std::string> seg = Segments(path);
  if (seg.empty()) return NotAPost(input, "the site's home page");
  const std::string first = boost::algorithm::to_lower_copy(seg[0]);
  if (first == "i" && seg.size() >= 4 && seg[1] == "web" && seg[2] == "status" && IsId(seg[3])) {
    return seg[3];
  }
  if (first == "i" && seg.size() >= 3 && seg[1] == "status" && IsId(seg[2])) return seg[2];
  if (first == "intent" || first == "share") {
    return NotAPost(input, "an intent or share link");
  }
  if (first == "hashtag") return NotAPost(input, "a hashtag page");
  if (first == "search" || first == "explore") return NotAPost(input, "a search page");
  if (seg.size() >= 3 && (seg[1] == "status" || seg[1] == "statuses")) {
    if (!IsId(seg[2])) return NotAPost(input, "the status id is not a number");
    if (seg.size() == 3) return seg[2];
    const std::string what = boost::algorithm::to_lower_copy(seg[3]);
    if ((what == "photo" || what == "video") && (seg.size() == 4 || seg.size() == 5)) {
      return seg[2];
    }
    return NotAPost(input, "unknown path after the status id");
  }
  if (seg.size() == 1) return NotAPost(input, "a profile, not a post");
  return NotAPost(input, "no status id in the path");
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// An absolute http(s) URL; a missing scheme means https.
std::optional<boost::urls::url> HttpUrl(std::string_view input) {
  std::string text(input);
  if (text.find("://") == std::string::npos) text = "https://" + text;
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return std::nullopt;
  if (parsed->scheme_id() != boost::urls::scheme::http &&
      parsed->scheme_id() != boost::urls::scheme::https) {
    return std::nullopt;
  }
  if (parsed->host().empty()) return std::nullopt;
  return boost::urls::url(*parsed);
}

std::vector<std::string> DecodedSegments(const boost::urls::url& u) {
  std::vector<std::string> out;
  for (auto seg : boost::urls::url_view(u).segments()) {
    if (!seg.empty()) out.push_back(seg);
  }
  return out;
}

bool IsMastodonUser(std::string_view s) {
  // Local usernames are [A-Za-z0-9_]; a remote acct adds @host.
  if (s.empty() || s.size() > 300) return false;
  return s.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@") ==
         std::string_view::npos;
}

bool IsMastodonId(std::string_view s) {
  constexpr size_t kMaxDigits = 30;
  return !s.empty() && s.size() <= kMaxDigits &&
         s.find_first_not_of("0123456789") == std::string_view::npos;
}

bool IsHandle(std::string_view s) {
  return s.size() >= 3 && s.size() <= 253 && s.find('.') != std::string_view::npos &&
         s.front() != '.' && s.back() != '.' &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string_view::npos;
}

Status NotMastodon(std::string_view input, std::string_view why) {
  return InvalidArgumentError("not a Mastodon post: " + std::string(input) + " (" +
                              std::string(why) + ")");
}

Status NotBluesky(std::string_view input, std::string_view why) {
  return InvalidArgumentError("not a Bluesky post: " + std::string(input) + " (" +
                              std::string(why) + ")");
}

// ACTOR / app.bsky.feed.post / RKEY, the tail shared by at:// URIs and embed.bsky.app paths.
Result<BlueskyRef> BlueskyTail(std::string_view input, std::string actor, std::string_view nsid,
                               std::string rkey) {
  if (nsid != "app.bsky.feed.post") return NotBluesky(input, "not an app.bsky.feed.post record");
  BlueskyRef ref;
  ref.rkey = std::move(rkey);
  if (actor.rfind("did:", 0) == 0) {
    ref.did = std::move(actor);
    auto key = ParsePostKey("bsky/" + ref.did + "/" + ref.rkey);
    if (!key) return NotBluesky(input, key.error().message());
    return ref;
  }
  actor = boost::algorithm::to_lower_copy(actor);
  if (!IsHandle(actor)) return NotBluesky(input, "the author is neither a DID nor a handle");
  if (!ParsePostKey("bsky/did:plc:x/" + ref.rkey)) return NotBluesky(input, "malformed record key");
  ref.handle = std::move(actor);
  return ref;
}

}  // namespace

bool IsBlueskyHost(std::string_view host_in) {
  const std::string host = boost::algorithm::to_lower_copy(std::string(host_in));
  return host == "bsky.app" || host == "www.bsky.app" || host == "staging.bsky.app" ||
         host == "embed.bsky.app";
}

Result<BlueskyRef> ParseBlueskyPostRef(std::string_view input_raw) {
  const std::string_view input = Trim(input_raw);
  if (input.rfind("at://", 0) == 0) {
    const std::vector<std::string> seg = Segments(input.substr(5));
    if (seg.size() != 3) return NotBluesky(input, "expected at://AUTHOR/app.bsky.feed.post/RKEY");
    return BlueskyTail(input, seg[0], seg[1], seg[2]);
  }
  auto url = HttpUrl(input);
  if (!url || !IsBlueskyHost(url->host())) return NotBluesky(input, "not a bsky.app URL");
  const std::vector<std::string> seg = DecodedSegments(*url);
  if (boost::algorithm::iequals(url->host(), "embed.bsky.app")) {
    if (seg.size() == 4 && seg[0] == "embed") return BlueskyTail(input, seg[1], seg[2], seg[3]);
    return NotBluesky(input, "expected /embed/DID/app.bsky.feed.post/RKEY");
  }
  if (seg.size() == 4 && seg[0] == "profile" && seg[2] == "post") {
    return BlueskyTail(input, seg[1], "app.bsky.feed.post", seg[3]);
  }
  if (seg.size() == 2 && seg[0] == "profile") return NotBluesky(input, "a profile, not a post");
  return NotBluesky(input, "expected /profile/AUTHOR/post/RKEY");
}

Result<std::string> ParseMastodonPostRef(std::string_view input_raw) {
  const std::string_view input = Trim(input_raw);
  auto url = HttpUrl(input);
  if (!url) return NotMastodon(input, "not an http(s) URL");
  const std::string host = boost::algorithm::to_lower_copy(std::string(url->host()));
  if (IsXHost(host) || IsBlueskyHost(host)) return NotMastodon(input, "an X or Bluesky host");
  if (url->has_port()) return NotMastodon(input, "a Mastodon server is not on a custom port");
  std::vector<std::string> seg = DecodedSegments(*url);
  if (!seg.empty() && seg.back() == "embed") seg.pop_back();
  std::string id;
  if (seg.size() == 2 && seg[0].size() > 1 && seg[0][0] == '@' &&
      IsMastodonUser(seg[0].substr(1))) {
    id = seg[1];
  } else if (seg.size() == 4 && seg[0] == "users" && IsMastodonUser(seg[1]) &&
             seg[2] == "statuses") {
    id = seg[3];
  } else {
    return NotMastodon(input, "expected /@user/ID, /@user@host/ID or /users/user/statuses/ID");
  }
  if (!IsMastodonId(id)) return NotMastodon(input, "the status id is not a number");
  const std::string key = "mastodon/" + host + "/" + id;
  if (auto parsed = ParsePostKey(key); !parsed) return NotMastodon(input, parsed.error().message());
  return key;
}

Result<PostRef> ParsePostRef(std::string_view input_raw, const std::vector<std::string>& extra) {
  const std::string_view input = Trim(input_raw);
  PostRef ref;
  ref.input = std::string(input);
  if (ParsePostKey(input)) {
    ref.key = std::string(input);
    return ref;
  }
  const bool at_uri = input.rfind("at://", 0) == 0;
  auto url = at_uri ? std::nullopt : HttpUrl(input);
  if (at_uri || (url && IsBlueskyHost(url->host()))) {
    auto bsky = ParseBlueskyPostRef(input);
    if (!bsky) return bsky.error();
    if (!bsky->did.empty()) {
      ref.key = "bsky/" + bsky->did + "/" + bsky->rkey;
    } else {
      ref.bsky_handle = bsky->handle;
      ref.bsky_rkey = bsky->rkey;
    }
    return ref;
  }
  auto x = ParseXPostRef(input, extra);
  if (x) {
    ref.key = "x/" + *x;
    return ref;
  }
  // An X URL (or a bare number) gets X's reason; any other URL may be a Mastodon server;
  // anything else is none of the three networks' posts.
  const bool digits = !input.empty() && input.find_first_not_of("0123456789") == std::string::npos;
  if (digits || (url && IsXHost(url->host(), extra))) return x.error();
  auto mastodon = url && url->host().find('.') != std::string::npos
                      ? ParseMastodonPostRef(input)
                      : Result<std::string>(InvalidArgumentError(""));
  if (!mastodon) {
    return InvalidArgumentError("not a post: " + std::string(input) +
                                " (expected an X, Mastodon or Bluesky post URL, a post key such "
                                "as x/20, or an X id)");
  }
  ref.key = std::move(*mastodon);
  return ref;
}

Result<std::string> PostKeyFromRef(std::string_view input, const std::vector<std::string>& extra) {
  auto ref = ParsePostRef(input, extra);
  if (!ref) return ref.error();
  if (ref->NeedsResolving()) {
    return InvalidArgumentError("the Bluesky handle " + ref->bsky_handle +
                                " must be resolved to a DID first: give the post key "
                                "(bsky/DID/RKEY) or an at:// URI with the DID");
  }
  return ref->key;
}

}  // namespace stillpost
