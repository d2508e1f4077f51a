#include <boost/algorithm/string/replace.hpp>

#include "common/post_ref.h"
#include "common/web.h"
#include "embed/render.h"
#include "embed/view_json.h"
#include "proto/time.h"
#include "server/detail/respond.h"
#include "server/routes.h"

namespace stillpost::server {

using proto::MicrosOf;

using detail::Error;
using detail::Json;

namespace {

constexpr size_t kRecentOnHome = 20;
constexpr int kLookupFrameHeight = 400;  // until embed.js sets the post's own height

}  // namespace

// /: recent captures, and a lookup of a post or an article.
Response Router::Home(const Query& q) {
  const std::string lookup = q.Get("q");
  const std::string root = embed::HtmlEscape(base_path_);
  Response r;
  r.Set("Content-Type", "text/html; charset=utf-8");
  // embed.js (our own, from 'self') sizes the lookup's iframe to its post.
  r.Set("Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-src 'self'; form-action 'self'");
  r.Set("Cache-Control", "no-cache");
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>stillpost</title>"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" "
      "href=\"" +
      root +
      "/favicon.ico\"><style>body{font:16px system-ui,sans-serif;max-width:640px;margin:2em "
      "auto;padding:0 1em}input{width:70%;padding:6px}li{margin:6px 0}.st{font-size:13px;"
      "padding:1px 6px;border-radius:8px;background:#e7f3e8}.st.gone{background:#fdecc8}"
      ".who{color:#536471}</style></head><body><h1>stillpost</h1><p>Archived X, Mastodon and "
      "Bluesky posts, served as they were.</p><form method=\"get\" action=\"" +
      root +
      "/\"><label for=\"q\">Post URL, key or X id, or an article's URL</label><br>"
      "<input id=\"q\" name=\"q\" value=\"" +
      embed::HtmlEscape(lookup) + "\"> <button>Look up</button></form>";
  if (!lookup.empty()) {
    Result<std::string> key = InvalidArgumentError("");
    if (auto parsed = ParsePostRef(lookup); parsed) {
      key = archive::KeyOfRef(store_, *parsed);
    } else {
      key = parsed.error();
    }
    auto article = key ? Result<proto::Article>(NotFoundError("")) : store_.GetArticle(lookup);
    if (article) {
      html += "<h2>" +
              embed::HtmlEscape(article->title().empty() ? article->url() : article->title()) +
              "</h2><ul>";
      for (const auto& k : article->post_keys()) html += HomeItem(k);
      html += "</ul>";
    } else if (!key) {
      html += "<p>" +
              embed::HtmlEscape(IsHttpUrl(lookup) ? "not an archived post or article: " + lookup
                                                  : key.error().message()) +
              "</p>";
    } else if (auto s = store_.StateSummary(*key); !s || !s->has_latest_good_at()) {
      html += "<p>" + embed::HtmlEscape(*key) + " is not archived.</p>";
    } else {
      const std::string e = embed::HtmlEscape(*key);
      html += "<p><a href=\"" + root + "/embed/" + e + "\">" + root + "/embed/" + e +
              "</a> &middot; <a href=\"" + root + "/api/v1/posts/" + e +
              "\">API</a></p><iframe class=\"stillpost-embed\" src=\"" + root + "/embed/" + e +
              "\" width=\"550\" height=\"" + std::to_string(kLookupFrameHeight) +
              "\" style=\"border:0;max-width:100%\" title=\"Archived post\"></iframe>";
    }
  }
  html += "<h2>Recent captures</h2><ul>";
  // Each post once, newest first; posts never captured whole (a mistyped id) are not shown.
  std::vector<std::string> seen;
  UnixMicros before = 0;
  for (int round = 0; round < 5 && seen.size() < kRecentOnHome; ++round) {
    auto recent = store_.RecentCaptures(kRecentOnHome * 4, before);
    if (!recent || recent->empty()) break;
    for (const auto& c : *recent) {
      before = c.captured_at;
      if (seen.size() >= kRecentOnHome) break;
      if (std::find(seen.begin(), seen.end(), c.key) != seen.end()) continue;
      seen.push_back(c.key);
      html += HomeItem(c.key);
    }
  }
  html += "</ul><script src=\"" + root + "/embed.js\" async></script></body></html>\n";
  r.body = std::move(html);
  return r;
}

std::string Router::HomeItem(const std::string& key) const {
  auto state = store_.State(key);
  if (!state || !state->has_latest_good()) return "";
  const std::string e = embed::HtmlEscape(key);
  const std::string word = embed::StateWord(*state);
  const proto::Post& p = state->latest_good().post();
  std::string item = "<li><a href=\"" + embed::HtmlEscape(base_path_) + "/embed/" + e + "\">" + e +
                     "</a> <span class=\"st" +
                     (state->current() == proto::PostState::CURRENT_GONE ? " gone" : "") + "\">" +
                     embed::HtmlEscape(boost::algorithm::replace_all_copy(word, "_", " ")) +
                     "</span> <span class=\"who\">";
  item += embed::HtmlEscape(p.author().display_name());
  if (!p.author().handle().empty()) item += " @" + embed::HtmlEscape(p.author().handle());
  item += "</span> <time>" + FormatRfc3339(MicrosOf(state->last_checked())) + "</time></li>";
  return item;
}

}  // namespace stillpost::server
