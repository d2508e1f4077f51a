// Export: a store's posts as WARC records, and the WACZ package around them.
#include "warc/export.h"

#include <google/protobuf/util/json_util.h>
#include <zip.h>

#include <algorithm>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "archive/provenance.h"
#include "common/crypto.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/version.h"
#include "common/web.h"
#include "embed/render.h"
#include "proto/time.h"
#include "warc/records.h"

namespace stillpost::warc {
namespace {

namespace json = boost::json;
using proto::MicrosOf;

constexpr std::string_view kRevisitProfile =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";
constexpr std::string_view kWarcName = "data.warc.gz";

std::string Software() { return std::string("stillpost/") + kVersion; }

// A protobuf message as a JSON value (protobuf's JSON mapping, proto field names).
Result<json::value> ProtoJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(m, &out, o); !s.ok()) {
    return InternalError("cannot print " + m.GetTypeName() + " as JSON");
  }
  return json::parse(out);
}

// The media type a response head names (Content-Type without parameters); empty for none.
std::string ContentTypeOf(std::string_view head) {
  while (!head.empty()) {
    const size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos ||
        !boost::algorithm::iequals(line.substr(0, colon), "content-type")) {
      continue;
    }
    std::string_view v = line.substr(colon + 1);
    v = v.substr(0, v.find(';'));
    return boost::algorithm::trim_copy(std::string(v));
  }
  return {};
}

// A record and, when it is something a replay looks up, its CDXJ fields.
struct Pending {
  Record record;
  bool indexed = false;
  std::string url, mime, digest;
  int status = 0;
  int64_t at = 0;
};

class Builder {
 public:
  Builder(const archive::Store& store, const ExportOptions& options, std::ofstream& out)
      : store_(store), options_(options), file_(out) {}

  // The file's first record: warcinfo.
  Status Start(int64_t newest) {
    out_.newest = newest;
    return Emit(WarcInfo());
  }

  Status AddPost(const std::string& key) {
    if (!posts_.insert(key).second) return Status::Ok();
    SP_ASSIGN_OR_RETURN(const proto::PostState state, store_.State(key));
    SP_ASSIGN_OR_RETURN(const std::vector<proto::Capture> captures, store_.Captures(key));
    out_.counts.posts++;
    const proto::Capture* newest_good = nullptr;
    for (const proto::Capture& c : captures) {
      SP_RETURN_IF_ERROR(AddCapture(key, state, c));
      if (c.has_post()) newest_good = &c;
    }
    if (newest_good != nullptr) {
      const int64_t t = MicrosOf(newest_good->captured_at());
      const proto::Post& p = newest_good->post();
      std::string title = p.author().display_name() + " (@" + p.author().handle() +
                          "): " + p.text().substr(0, std::min<size_t>(p.text().size(), 120));
      json::object page;
      page["id"] = Sha256Hex(EmbedUrl(key, t)).substr(0, 32);
      page["url"] = EmbedUrl(key, t);
      page["ts"] = FormatRfc3339(t);
      page["title"] = std::move(title);
      pages_.push_back(json::serialize(page));
    }
    return Status::Ok();
  }

  Status AddArticle(const proto::Article& article) {
    SP_ASSIGN_OR_RETURN(json::value a, ProtoJson(article));
    json::object o;
    o["format"] = "stillpost-article/1";
    o["article"] = std::move(a);
    Pending p;
    p.record.Add("WARC-Type", "metadata");
    const std::string block = json::serialize(o);
    const std::string date = FormatRfc3339(MicrosOf(article.scanned_at()));
    p.record.Add("WARC-Record-ID", RecordId("article\n" + article.url() + "\n" + block));
    p.record.Add("WARC-Date", date);
    p.record.Add("WARC-Target-URI", article.url());
    p.record.Add("Content-Type", "application/json");
    p.record.Add("WARC-Stillpost-Record", "article");
    p.record.block = block;
    p.record.Add("WARC-Block-Digest", archive::PrefixedSha256(block));
    out_.counts.articles++;
    return Emit(std::move(p));
  }

  // The file's last records: the public keys that signed the manifests in it.
  Result<Export> Finish() {
    SP_RETURN_IF_ERROR(AddKeys());
    SP_RETURN_IF_ERROR(status_);
    std::sort(lines_.begin(), lines_.end());
    for (const auto& l : lines_) out_.cdxj.append(l).push_back('\n');
    out_.pages = "{\"format\":\"json-pages-1.0\",\"id\":\"pages\",\"title\":\"All Pages\"}\n";
    for (const auto& l : pages_) out_.pages.append(l).push_back('\n');
    out_.warc_sha256 = "sha256:" + hasher_.HexDigest();
    return std::move(out_);
  }

 private:
  // One record out to the file, as its own gzip member, indexed when a replay looks it up.
  Status Emit(Pending p) {
    SP_RETURN_IF_ERROR(status_);
    auto member = GzipMember(Serialize(p.record));
    if (!member) return status_ = member.error();
    if (p.indexed) {
      json::object c;
      c["url"] = p.url;
      c["mime"] = p.mime;
      c["status"] = std::to_string(p.status);
      c["digest"] = p.digest;
      c["length"] = std::to_string(member->size());
      c["offset"] = std::to_string(out_.warc_bytes);
      c["filename"] = kWarcName;
      lines_.push_back(Surt(p.url) + " " + Timestamp14(p.at) + " " + json::serialize(c));
    }
    file_.write(member->data(), static_cast<std::streamsize>(member->size()));
    if (!file_) return status_ = UnavailableError("cannot write the WARC file (disk full?)");
    hasher_.Update(*member);
    out_.warc_bytes += member->size();
    out_.counts.records++;
    return Status::Ok();
  }

  std::string EmbedUrl(const std::string& key, int64_t t) const {
    return options_.public_base + "/embed/" + key + "?capture=" + FormatRfc3339(t);
  }

  // A response (and the request before it) from a kept exchange, or a resource record for
  // bytes kept without one. Returns the record id, empty when there is nothing to write.
  std::string AddWire(const proto::HttpExchange* x, const std::string& url, std::string_view body,
                      const std::string& mime, int status, int64_t at, bool media) {
    const std::string date = FormatRfc3339(at);
    const std::string payload_digest = archive::PrefixedSha256(body);
    Pending p;
    p.indexed = true;
    p.url = url;
    p.status = status;
    p.at = at;
    p.digest = payload_digest;
    if (x != nullptr && !x->response_head().empty()) {
      std::string block = HeadForBody(x->response_head(), body.size());
      block.append(body);
      const std::string id =
          RecordId("response\n" + url + "\n" + date + "\n" + archive::PrefixedSha256(block));
      p.mime = ContentTypeOf(x->response_head());
      if (p.mime.empty()) p.mime = mime;
      p.record.Add("WARC-Type", "response");
      p.record.Add("WARC-Record-ID", id);
      p.record.Add("WARC-Date", date);
      p.record.Add("WARC-Target-URI", url);
      if (!x->remote_ip().empty()) p.record.Add("WARC-IP-Address", x->remote_ip());
      p.record.Add("Content-Type", "application/http;msgtype=response");
      p.record.Add("WARC-Payload-Digest", payload_digest);
      p.record.Add("WARC-Block-Digest", archive::PrefixedSha256(block));
      p.record.block = std::move(block);
      static_cast<void>(Emit(std::move(p)));  // a failure is kept in status_
      if (!x->request_head().empty()) {
        Pending q;
        q.record.Add("WARC-Type", "request");
        q.record.Add("WARC-Record-ID", RecordId("request\n" + url + "\n" + date + "\n" +
                                                archive::PrefixedSha256(x->request_head())));
        q.record.Add("WARC-Date", date);
        q.record.Add("WARC-Target-URI", url);
        q.record.Add("WARC-Concurrent-To", id);
        q.record.Add("Content-Type", "application/http;msgtype=request");
        q.record.Add("WARC-Block-Digest", archive::PrefixedSha256(x->request_head()));
        q.record.block = x->request_head();
        static_cast<void>(Emit(std::move(q)));
      }
      if (!media) out_.counts.exchanges++;
      return id;
    }
    const std::string id = RecordId("resource\n" + url + "\n" + date + "\n" + payload_digest);
    p.mime = mime;
    p.record.Add("WARC-Type", "resource");
    p.record.Add("WARC-Record-ID", id);
    p.record.Add("WARC-Date", date);
    p.record.Add("WARC-Target-URI", url);
    p.record.Add("Content-Type", mime.empty() ? "application/octet-stream" : mime);
    p.record.Add("WARC-Payload-Digest", payload_digest);
    p.record.Add("WARC-Block-Digest", payload_digest);
    p.record.Add("WARC-Stillpost-Note", "captured before stillpost kept the HTTP exchange");
    p.record.block.assign(body);
    static_cast<void>(Emit(std::move(p)));  // a failure is kept in status_
    return id;
  }

  Status AddCapture(const std::string& key, const proto::PostState& state,
                    const proto::Capture& c) {
    const int64_t t = MicrosOf(c.captured_at());
    const std::string date = FormatRfc3339(t);
    out_.counts.captures++;
    out_.newest = std::max(out_.newest, t);
    json::array blob_metas;
    // The post's own answer.
    const std::string url = c.exchange().url().empty() ? c.source_url() : c.exchange().url();
    std::string wire_id;
    if (!c.raw_body_blob().empty() || c.has_exchange()) {
      std::string body;
      std::string mime = "application/json";
      if (!c.raw_body_blob().empty()) {
        SP_ASSIGN_OR_RETURN(archive::Blob blob, store_.GetBlob(c.raw_body_blob()));
        body.assign(blob.data());
        SP_ASSIGN_OR_RETURN(proto::BlobMeta meta, store_.GetBlobMeta(c.raw_body_blob()));
        if (!meta.mime().empty()) mime = meta.mime();
        if (blobs_.insert(c.raw_body_blob()).second) {
          SP_ASSIGN_OR_RETURN(json::value m, ProtoJson(meta));
          blob_metas.push_back(std::move(m));
        }
      }
      if (!c.has_exchange()) out_.counts.without_exchange++;
      wire_id = AddWire(c.has_exchange() ? &c.exchange() : nullptr, url, body, mime,
                        c.http_status(), t, false);
    }
    // Media: bytes once, at the URL the post names; then revisits.
    if (c.has_post()) {
      std::vector<archive::BlobRef> refs;
      archive::AppendBlobRefs(c.post(), refs);
      std::set<std::pair<std::string, std::string>> here;
      for (const auto& ref : refs) {
        if (!here.insert({ref.sha256, ref.url}).second) continue;
        SP_ASSIGN_OR_RETURN(proto::BlobMeta meta, store_.GetBlobMeta(ref.sha256));
        const std::string at_url = IsHttpUrl(ref.url) ? ref.url
                                                      : (meta.original_urls_size() > 0
                                                             ? meta.original_urls(0)
                                                             : "urn:stillpost:blob:" + ref.sha256);
        auto first = media_.find(ref.sha256);
        if (first == media_.end()) {
          SP_ASSIGN_OR_RETURN(archive::Blob blob, store_.GetBlob(ref.sha256, &meta));
          const std::string id = AddWire(meta.has_exchange() ? &meta.exchange() : nullptr, at_url,
                                         blob.data(), meta.mime(), 200, t, true);
          media_.emplace(ref.sha256, FirstMedia{id, at_url, date, meta});
          out_.counts.media++;
          if (blobs_.insert(ref.sha256).second) {
            SP_ASSIGN_OR_RETURN(json::value m, ProtoJson(meta));
            blob_metas.push_back(std::move(m));
          }
          continue;
        }
        AddRevisit(first->second, at_url, t);
      }
    }
    // Our embed of it, at its immutable URL.
    if (c.has_post()) {
      embed::EmbedOptions o;
      o.pinned = true;
      o.original_media_urls = true;
      const std::string html = embed::RenderEmbed({state, c}, o);
      Pending p;
      p.indexed = true;
      p.url = EmbedUrl(key, t);
      p.mime = "text/html";
      p.status = 200;
      p.at = t;
      p.digest = archive::PrefixedSha256(html);
      p.record.Add("WARC-Type", "resource");
      p.record.Add("WARC-Record-ID", RecordId("resource\n" + p.url + "\n" + p.digest));
      p.record.Add("WARC-Date", date);
      p.record.Add("WARC-Target-URI", p.url);
      p.record.Add("Content-Type", "text/html; charset=utf-8");
      p.record.Add("WARC-Payload-Digest", p.digest);
      p.record.Add("WARC-Block-Digest", p.digest);
      p.record.block = html;
      static_cast<void>(Emit(std::move(p)));  // a failure is kept in status_
      out_.counts.embeds++;
    }
    // The capture record itself, with its manifest: what an import restores.
    json::object o;
    o["format"] = "stillpost-capture/1";
    o["key"] = key;
    SP_ASSIGN_OR_RETURN(json::value cj, ProtoJson(c));
    o["capture"] = std::move(cj);
    auto manifest = store_.Manifest(key, t);
    if (manifest) {
      SP_ASSIGN_OR_RETURN(json::value mj, ProtoJson(*manifest));
      o["manifest"] = std::move(mj);
      key_ids_.insert(manifest->key_id());
    } else if (manifest.error().code() == StatusCode::kNotFound) {
      o["manifest"] = nullptr;
    } else {
      return manifest.error();
    }
    o["blobs"] = std::move(blob_metas);
    const std::string block = json::serialize(o);
    Pending p;
    p.record.Add("WARC-Type", "metadata");
    p.record.Add("WARC-Record-ID", RecordId("metadata\n" + key + "\n" + date + "\n" +
                                            archive::PrefixedSha256(block)));
    p.record.Add("WARC-Date", date);
    p.record.Add("WARC-Target-URI", url.empty() ? "urn:stillpost:post:" + key : url);
    if (!wire_id.empty()) p.record.Add("WARC-Refers-To", wire_id);
    p.record.Add("Content-Type", "application/json");
    p.record.Add("WARC-Stillpost-Record", "capture");
    p.record.Add("WARC-Block-Digest", archive::PrefixedSha256(block));
    p.record.block = block;
    static_cast<void>(Emit(std::move(p)));  // a failure is kept in status_
    return Status::Ok();
  }

  struct FirstMedia {
    std::string id, url, date;
    proto::BlobMeta meta;
  };

  void AddRevisit(const FirstMedia& first, const std::string& url, int64_t t) {
    const std::string date = FormatRfc3339(t);
    Pending p;
    p.indexed = true;
    p.url = url;
    p.mime = "warc/revisit";
    p.status = 200;
    p.at = t;
    p.digest = "sha256:" + first.meta.sha256();
    std::string block;
    if (first.meta.has_exchange() && !first.meta.exchange().response_head().empty()) {
      block = HeadForBody(first.meta.exchange().response_head(), first.meta.size());
    }
    p.record.Add("WARC-Type", "revisit");
    p.record.Add("WARC-Record-ID",
                 RecordId("revisit\n" + url + "\n" + date + "\n" + first.meta.sha256()));
    p.record.Add("WARC-Date", date);
    p.record.Add("WARC-Target-URI", url);
    p.record.Add("WARC-Profile", std::string(kRevisitProfile));
    p.record.Add("WARC-Refers-To", first.id);
    p.record.Add("WARC-Refers-To-Target-URI", first.url);
    p.record.Add("WARC-Refers-To-Date", first.date);
    if (!block.empty()) p.record.Add("Content-Type", "application/http;msgtype=response");
    p.record.Add("WARC-Payload-Digest", p.digest);
    p.record.Add("WARC-Block-Digest", archive::PrefixedSha256(block));
    p.record.block = std::move(block);
    static_cast<void>(Emit(std::move(p)));  // a failure is kept in status_
    out_.counts.revisits++;
  }

  // The public keys that signed the exported manifests.
  Status AddKeys() {
    SP_ASSIGN_OR_RETURN(const auto keys, store_.SigningKeys());
    for (proto::SigningKey k : keys) {
      if (!key_ids_.contains(k.id())) continue;
      k.clear_origin();  // where this store got it is its own business, not the key's
      SP_ASSIGN_OR_RETURN(json::value kj, ProtoJson(k));
      json::object o;
      o["format"] = "stillpost-key/1";
      o["key"] = std::move(kj);
      const std::string block = json::serialize(o);
      Pending p;
      p.record.Add("WARC-Type", "metadata");
      p.record.Add("WARC-Record-ID", RecordId("key\n" + k.id()));
      p.record.Add("WARC-Date", FormatRfc3339(MicrosOf(k.valid_from())));
      p.record.Add("WARC-Target-URI", "urn:stillpost:key:" + k.id());
      p.record.Add("Content-Type", "application/json");
      p.record.Add("WARC-Stillpost-Record", "key");
      p.record.Add("WARC-Block-Digest", archive::PrefixedSha256(block));
      p.record.block = block;
      SP_RETURN_IF_ERROR(Emit(std::move(p)));
    }
    return Status::Ok();
  }

  Pending WarcInfo() const {
    std::string fields = "software: " + Software() + "\r\n";
    fields += "format: WARC File Format 1.1\r\n";
    fields +=
        "conformsTo: "
        "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n";
    fields += "isPartOf: " + options_.title + "\r\n";
    fields +=
        "description: posts archived by stillpost, each capture with its HTTP exchange "
        "(captures made before stillpost kept it: resource records with a "
        "WARC-Stillpost-Note), media, our embed and a signed manifest\r\n";
    Pending p;
    p.record.Add("WARC-Type", "warcinfo");
    p.record.Add("WARC-Record-ID", RecordId("warcinfo\n" + fields));
    p.record.Add("WARC-Date", FormatRfc3339(out_.newest));
    p.record.Add("WARC-Filename", std::string(kWarcName));
    p.record.Add("Content-Type", "application/warc-fields");
    p.record.Add("WARC-Block-Digest", archive::PrefixedSha256(fields));
    p.record.block = std::move(fields);
    return p;
  }

  const archive::Store& store_;
  const ExportOptions& options_;
  Export out_;
  std::set<std::string> posts_;
  std::set<std::string> blobs_;  // blobs whose metadata a capture record carries already
  std::map<std::string, FirstMedia> media_;
  std::set<std::string> key_ids_;  // of the manifests exported
  std::vector<std::string> pages_;
  std::vector<std::string> lines_;  // CDXJ
  std::ofstream& file_;
  Sha256Hasher hasher_;
  Status status_;  // the first write that failed
};

}  // namespace

Result<Export> BuildExport(const archive::Store& store, const ExportSelection& selection,
                           const ExportOptions& options, const std::string& warc_path) {
  // What is exported, and the newest capture of it (the warcinfo's date, first in the file).
  std::vector<proto::Article> articles;
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const std::string& url : selection.articles) {
    SP_ASSIGN_OR_RETURN(proto::Article article, store.GetArticle(url));
    for (const std::string& key : article.post_keys()) {
      if (seen.insert(key).second) keys.push_back(key);
    }
    articles.push_back(std::move(article));
  }
  const std::set<std::string> asked(selection.keys.begin(), selection.keys.end());
  for (const std::string& key : selection.keys) {
    if (seen.insert(key).second) keys.push_back(key);
  }
  int64_t newest = 0;
  std::vector<std::string> present;
  for (const std::string& key : keys) {
    auto state = store.StateSummary(key);
    if (!state) {
      // An article may name a post never captured (found, then failed): it is not exported.
      if (state.error().code() == StatusCode::kNotFound && !asked.contains(key)) continue;
      return state.error();
    }
    newest = std::max(newest, MicrosOf(state->last_checked()));
    present.push_back(key);
  }
  for (const auto& a : articles) newest = std::max(newest, MicrosOf(a.scanned_at()));

  std::ofstream out(warc_path, std::ios::binary | std::ios::trunc);
  if (!out) return UnavailableError("cannot write " + warc_path);
  Builder b(store, options, out);
  Result<Export> built = [&]() -> Result<Export> {
    SP_RETURN_IF_ERROR(b.Start(newest));
    for (const auto& a : articles) SP_RETURN_IF_ERROR(b.AddArticle(a));
    for (const std::string& key : present) SP_RETURN_IF_ERROR(b.AddPost(key));
    SP_ASSIGN_OR_RETURN(Export e, b.Finish());
    out.flush();
    if (!out) return UnavailableError("cannot write " + warc_path + " (disk full?)");
    e.warc_path = warc_path;
    return e;
  }();
  if (!built) {
    out.close();
    std::error_code ec;
    std::filesystem::remove(warc_path, ec);
  }
  return built;
}

namespace {

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};

// The DOS date and time (what ZIP stores) of `micros`, in UTC: the same everywhere.
std::pair<uint16_t, uint16_t> DosTime(int64_t micros) {
  std::time_t t = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  if (tm.tm_year < 80) return {0, (1 << 5) | 1};  // 1980-01-01, the format's first day
  const auto time = static_cast<uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  const auto date =
      static_cast<uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
  return {time, date};
}

}  // namespace

Status WriteWacz(const archive::Store& store, const Export& e, const std::string& path,
                 const ExportOptions& options) {
  const std::string created = FormatRfc3339(e.newest);
  auto resource = [](std::string_view name, std::string_view at, std::string_view bytes) {
    json::object r;
    r["name"] = name;
    r["path"] = at;
    r["hash"] = archive::PrefixedSha256(bytes);
    r["bytes"] = bytes.size();
    return r;
  };
  json::object package;
  package["profile"] = "data-package";
  package["wacz_version"] = "1.1.1";
  package["title"] = options.title;
  package["created"] = created;
  package["software"] = Software();
  json::array resources;
  {
    json::object r;
    r["name"] = kWarcName;
    r["path"] = "archive/data.warc.gz";
    r["hash"] = e.warc_sha256;
    r["bytes"] = e.warc_bytes;
    resources.push_back(std::move(r));
  }
  resources.push_back(resource("index.cdxj", "indexes/index.cdxj", e.cdxj));
  resources.push_back(resource("pages.jsonl", "pages/pages.jsonl", e.pages));
  package["resources"] = std::move(resources);
  const std::string datapackage = json::serialize(package);

  const std::string hash = archive::PrefixedSha256(datapackage);
  SP_ASSIGN_OR_RETURN(const archive::SignedDigest signed_digest, store.SignDigest(hash));
  json::object sig;
  sig["hash"] = hash;
  sig["signature"] = signed_digest.signature;
  sig["publicKey"] = Base64Encode(signed_digest.key.public_spki());
  sig["created"] = created;
  sig["software"] = Software();
  json::object digest;
  digest["path"] = "datapackage.json";
  digest["hash"] = hash;
  digest["signedData"] = std::move(sig);
  const std::string digest_json = json::serialize(digest);

  // Sorted by name, every member stored as it is (a replay reads the WARC by byte ranges).
  const std::vector<std::pair<std::string, const std::string*>> members = {
      {"archive/data.warc.gz", nullptr},  // the file itself
      {"datapackage-digest.json", &digest_json},
      {"datapackage.json", &datapackage},
      {"indexes/index.cdxj", &e.cdxj},
      {"pages/pages.jsonl", &e.pages}};
  const std::string tmp = path + ".tmp";
  int error = 0;
  std::unique_ptr<zip_t, ZipDiscard> z(zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error));
  if (!z)
    return UnavailableError("cannot create " + tmp + " (libzip error " + std::to_string(error) +
                            ")");
  const auto [dos_time, dos_date] = DosTime(e.newest);
  for (const auto& [name, bytes] : members) {
    zip_source_t* src = bytes != nullptr
                            ? zip_source_buffer(z.get(), bytes->data(), bytes->size(), 0)
                            : zip_source_file(z.get(), e.warc_path.c_str(), 0, -1);
    if (src == nullptr) return InternalError("libzip: " + std::string(zip_strerror(z.get())));
    const zip_int64_t index = zip_file_add(z.get(), name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(src);
      return InternalError("libzip: " + std::string(zip_strerror(z.get())));
    }
    const auto i = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(z.get(), i, ZIP_CM_STORE, 0) != 0 ||
        zip_file_set_dostime(z.get(), i, dos_time, dos_date, 0) != 0) {
      return InternalError("libzip: " + std::string(zip_strerror(z.get())));
    }
  }
  if (zip_close(z.get()) != 0) {
    return UnavailableError("cannot write " + tmp + ": " + zip_strerror(z.get()));
  }
  z.release();  // closed
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return UnavailableError("cannot move " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace stillpost::warc
