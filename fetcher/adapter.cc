#include "fetcher/adapter.h"

#include <array>

#include "common/post_key.h"
#include "fetcher/bluesky/bluesky.h"
#include "fetcher/mastodon/mastodon.h"
#include "fetcher/x/x.h"

namespace stillpost::fetcher {
namespace {

// The table: one row per network. A new network adds its row here.
const std::array<const Adapter*, 3>& Table() {
  static const std::array<const Adapter*, 3> table = {&x::GetAdapter(), &mastodon::GetAdapter(),
                                                      &bluesky::GetAdapter()};
  return table;
}

}  // namespace

const Adapter& AdapterFor(KeyPlatform platform) {
  for (const Adapter* a : Table()) {
    if (a->platform() == platform) return *a;
  }
  // Unreachable while every KeyPlatform has a row (checked by the adapter test).
  return *Table().front();
}

std::span<const Adapter* const> Adapters() { return Table(); }

Answer InterpretPostAnswer(
    const std::string& url, const ParsedPostKey& key, Result<HttpResponse> r,
    const std::function<std::optional<proto::Tombstone>(int, std::string_view)>& tombstone_for,
    const std::function<Result<MappedPost>(std::string_view)>& map) {
  if (!r) return Answer::Failed(r.error().message());
  Answer a;
  if (r->status != 200) {
    if (auto t = tombstone_for(static_cast<int>(r->status), r->body)) {
      a.kind = Answer::Kind::kGone;
      a.mapped.gone = true;
      a.mapped.tombstone = std::move(*t);
      a.raw_body = std::move(r->body);
      return a;
    }
    return Answer::Failed(url + ": HTTP " + std::to_string(r->status));
  }
  Result<MappedPost> mapped = map(r->body);
  if (!mapped) return Answer::Failed(mapped.error().message());
  a.raw_body = std::move(r->body);
  a.kind = mapped->gone ? Answer::Kind::kGone : Answer::Kind::kPost;
  const std::string wanted = FormatPostKey(key);
  if (!mapped->gone && mapped->post.key() != wanted && mapped->note.empty()) {
    return Answer::Failed("upstream answered with post " + mapped->post.key() + " for " + wanted);
  }
  a.mapped = std::move(*mapped);
  return a;
}

}  // namespace stillpost::fetcher
