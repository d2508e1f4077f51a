// stillpost export / import / keys: web archives in and out (warc/), and the signing key.
#include <boost/json.hpp>
#include <filesystem>
#include <iostream>

#include "archive/provenance.h"
#include "common/crypto.h"
#include "common/time.h"
#include "embed/view_json.h"
#include "proto/time.h"
#include "tools/stillpost/commands.h"
#include "warc/export.h"

namespace stillpost::cli {

int RunExport(const GlobalOptions& global, const ExportOptions& options) {
  if (options.wacz.empty() == options.warc.empty()) {
    return UsageFail("export needs one of --wacz FILE or --warc FILE");
  }
  if (!options.all && options.posts.empty() && options.articles.empty()) {
    return UsageFail("export needs posts, --article URL or --all");
  }
  auto store = OpenStoreForReading(global);
  if (!store) return Fail(store.error());
  warc::ExportSelection selection;
  if (options.all) {
    if (Status s = AppendPostKeys(**store, "", selection.keys); !s.ok()) return Fail(s);
    for (std::string after;;) {  // and every article: a backup holds them too
      auto urls = (*store)->ArticleUrls(1000, after);
      if (!urls) return Fail(urls.error());
      if (urls->empty()) break;
      after = urls->back();
      for (auto& u : *urls) selection.articles.push_back(std::move(u));
    }
  }
  for (const std::string& input : options.posts) {
    auto ref = RefOf(input);
    if (!ref) return UsageFail(ref.error().message());
    auto key = archive::KeyOfRef(**store, *ref);
    if (!key) return Fail(key.error());
    selection.keys.push_back(*key);
  }
  for (const std::string& input : options.articles) {
    auto article = FindArticle(**store, input);
    if (!article) return Fail(article.error());
    selection.articles.push_back(article->url());
  }
  warc::ExportOptions o;
  if (!options.public_url.empty()) {
    o.public_base = options.public_url;
    while (!o.public_base.empty() && o.public_base.back() == '/') o.public_base.pop_back();
  }
  if (!options.title.empty()) o.title = options.title;
  // The WARC is written record by record to a file beside the output, then renamed into
  // place (--warc) or packed (--wacz): nothing half-written is left under the name asked for.
  const std::string& path = options.wacz.empty() ? options.warc : options.wacz;
  const std::string warc_path = path + (options.wacz.empty() ? ".tmp" : ".warc.tmp");
  auto exported = warc::BuildExport(**store, selection, o, warc_path);
  if (!exported) return Fail(exported.error());
  Status written = Status::Ok();
  std::error_code ec;
  if (options.wacz.empty()) {
    std::filesystem::rename(warc_path, path, ec);
    if (ec)
      written = UnavailableError("cannot move " + warc_path + " to " + path + ": " + ec.message());
  } else {
    written = warc::WriteWacz(**store, *exported, path, o);
  }
  std::filesystem::remove(warc_path, ec);
  if (!written.ok()) return Fail(written);
  const warc::ExportCounts& n = exported->counts;
  if (global.json) {
    boost::json::object j;
    j["file"] = path;
    j["posts"] = n.posts;
    j["captures"] = n.captures;
    j["exchanges"] = n.exchanges;
    j["without_exchange"] = n.without_exchange;
    j["media"] = n.media;
    j["revisits"] = n.revisits;
    j["embeds"] = n.embeds;
    j["articles"] = n.articles;
    j["records"] = n.records;
    std::cout << boost::json::serialize(j) << '\n';
    return kExitOk;
  }
  std::cout << "exported " << n.posts << " posts, " << n.captures << " captures, " << n.media
            << " media (" << n.revisits << " seen again), " << n.articles
            << " articles: " << n.records << " records in " << path << '\n';
  if (n.without_exchange > 0) {
    std::cout << n.without_exchange
              << " captures were made before stillpost kept the HTTP exchange: their bodies are "
                 "resource records, without the request and response heads\n";
  }
  return kExitOk;
}

int RunImport(const GlobalOptions& global, const std::string& file) {
  auto store = OpenStore(global, /*create=*/true);
  if (!store) {
    if (store.error().code() == StatusCode::kUnavailable) {
      return Fail(UnavailableError(store.error().message() +
                                   " (stop the server to import, or import into another store)"));
    }
    return Fail(store.error());
  }
  auto counts = warc::Import(**store, file);
  if (!counts) return Fail(counts.error());
  if (Status closed = (*store)->Close(); !closed.ok()) return Fail(closed);
  if (global.json) {
    boost::json::object j;
    j["file"] = file;
    j["captures"] = counts->captures;
    j["already"] = counts->already;
    j["older"] = counts->older;
    j["blobs"] = counts->blobs;
    j["articles"] = counts->articles;
    j["keys"] = counts->keys;
    j["signature"] = counts->package_signature;
    std::cout << boost::json::serialize(j) << '\n';
    return kExitOk;
  }
  std::cout << "imported " << counts->captures << " captures (" << counts->already
            << " already here), " << counts->blobs << " blobs, " << counts->articles
            << " articles from " << file << "; package signature: " << counts->package_signature
            << '\n';
  if (counts->older > 0) {
    std::cout << counts->older
              << " captures are older than the store's newest capture of their post and were "
                 "not imported (a store's captures of a post only grow forward in time)\n";
  }
  return kExitOk;
}

int RunKeys(const GlobalOptions& global, bool rotate) {
  if (rotate) {
    auto store = OpenStore(global, /*create=*/true);
    if (!store) return Fail(store.error());
    auto key = (*store)->RotateSigningKey();
    if (!key) return Fail(key.error());
    std::cout << "signing with key " << key->id() << " from "
              << FormatRfc3339(proto::MicrosOf(key->valid_from()))
              << "; the previous key stays published, retired\n";
    return kExitOk;
  }
  auto store = OpenStoreForReading(global);
  if (!store) return Fail(store.error());
  auto keys = (*store)->SigningKeys();
  if (!keys) return Fail(keys.error());
  if (keys->empty()) {
    std::cout << "no signing key yet: the first write to the store makes one\n";
    return kExitOk;
  }
  if (global.json) {
    boost::json::array list;
    for (const auto& k : *keys) list.push_back(embed::SigningKeyJson(k));
    std::cout << boost::json::serialize(list) << '\n';
    return kExitOk;
  }
  for (const auto& k : *keys) {
    const bool ours = k.origin() == "generated";
    std::cout << k.id() << "  "
              << (!ours ? "imported" : (k.has_valid_until() ? "retired" : "signing")) << "  from "
              << FormatRfc3339(proto::MicrosOf(k.valid_from()));
    if (k.has_valid_until()) {
      std::cout << " until " << FormatRfc3339(proto::MicrosOf(k.valid_until()));
    }
    if (!ours) std::cout << "  (" << k.origin() << ")";
    std::cout << "\n  " << Base64Encode(k.public_spki()) << '\n';
  }
  return kExitOk;
}

}  // namespace stillpost::cli
