// X's adapter: the syndication endpoint first, publish.twitter.com's oEmbed (text only) when
// syndication fails for any reason but a refused address or a bad redirect.
#include "fetcher/adapter.h"

#include <gumbo.h>

#include <boost/json/parse.hpp>

#include "common/web.h"
#include "fetcher/detail/html.h"
#include "fetcher/x/x.h"

namespace stillpost::fetcher::x {
namespace {

const GumboNode* FindFirst(const GumboNode* node, GumboTag tag, int depth = 0) {
  if (node->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return nullptr;
  if (node->v.element.tag == tag) return node;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    if (auto* found = FindFirst(static_cast<const GumboNode*>(children.data[i]), tag, depth + 1)) {
      return found;
    }
  }
  return nullptr;
}

void CollectText(const GumboNode* node, std::string& out, int depth = 0) {
  if (depth > detail::kMaxHtmlDepth) return detail::AppendAllText(node, out);
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
    out += node->v.text.text;
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT) return;
  if (node->v.element.tag == GUMBO_TAG_BR) out += '\n';
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    CollectText(static_cast<const GumboNode*>(children.data[i]), out, depth + 1);
  }
}

class XAdapter final : public Adapter {
 public:
  KeyPlatform platform() const override { return KeyPlatform::kX; }

  std::string PostUrl(const ParsedPostKey& key) const override { return TweetResultUrl(key.id); }

  Answer Interpret(const ParsedPostKey& key, const PostRef& /*ref*/,
                   Result<HttpResponse> r) const override {
    Answer a;
    if (!r) {
      const StatusCode code = r.error().code();
      // A refused address or a bad redirect: no fallback would fare better.
      if (code == StatusCode::kInvalidArgument || code == StatusCode::kPermissionDenied) {
        return Answer::Failed(r.error().message());
      }
      return Fallback("syndication: " + r.error().message());
    }
    if (r->status == 404) {
      a.kind = Answer::Kind::kGone;
      a.mapped.gone = true;
      a.mapped.tombstone.set_kind(proto::Tombstone::KIND_NOT_FOUND);
      a.mapped.tombstone.set_upstream_text(
          "This Post does not exist or has been deleted (HTTP 404)");
      a.raw_body = std::move(r->body);
      return a;
    }
    if (r->status != 200) return Fallback("syndication: HTTP " + std::to_string(r->status));
    auto mapped = MapTweetResult(r->body);
    if (!mapped) return Fallback("syndication: " + mapped.error().message());
    a.raw_body = std::move(r->body);
    if (!mapped->gone && mapped->post.id() != key.id) {
      return Answer::Failed("syndication answered with post " + mapped->post.id() + " for " +
                            key.id);
    }
    a.kind = mapped->gone ? Answer::Kind::kGone : Answer::Kind::kPost;
    a.mapped = std::move(*mapped);
    return a;
  }

  std::string FallbackUrl(const ParsedPostKey& key) const override { return OEmbedUrl(key.id); }

  // publish.twitter.com's oEmbed: the author and the text of the first <p>, as the widget shows
  // them before its script runs. A partial capture: no media, no counts.
  Answer InterpretFallback(const ParsedPostKey& key, const std::string& why,
                           Result<HttpResponse> r) const override {
    if (!r) return Answer::Failed(why + "; oEmbed: " + r.error().message());
    if (r->status != 200) {
      return Answer::Failed(why + "; oEmbed: HTTP " + std::to_string(r->status));
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(r->body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("html") ||
        !v.as_object().at("html").is_string()) {
      return Answer::Failed(why + "; oEmbed: malformed answer");
    }
    const auto& o = v.as_object();
    auto str = [&](const char* k) {
      const auto* f = o.if_contains(k);
      return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
    };
    Answer a;
    a.kind = Answer::Kind::kPost;
    proto::Post& post = a.mapped.post;
    post.set_platform(proto::PLATFORM_X);
    post.set_id(key.id);
    post.set_key("x/" + key.id);
    post.set_url(IsHttpUrl(str("url")) ? str("url") : CanonicalUrl(key.id));
    post.mutable_author()->set_display_name(str("author_name"));
    const std::string author_url = str("author_url");
    if (IsHttpUrl(author_url)) post.mutable_author()->set_profile_url(author_url);
    if (const size_t slash = author_url.rfind('/'); slash != std::string::npos) {
      post.mutable_author()->set_handle(author_url.substr(slash + 1));
    }
    const detail::Html doc(str("html"));
    std::string text;
    if (const GumboNode* p = FindFirst(doc.root(), GUMBO_TAG_P)) CollectText(p, text);
    post.set_text(std::move(text));
    a.partial_reason = "text only, from oEmbed (" + why + ")";
    a.raw_body = std::move(r->body);
    return a;
  }

 private:
  static Answer Fallback(std::string why) {
    Answer a;
    a.kind = Answer::Kind::kFallback;
    a.why = std::move(why);
    return a;
  }
};

}  // namespace

const Adapter& GetAdapter() {
  static const XAdapter adapter;
  return adapter;
}

}  // namespace stillpost::fetcher::x
