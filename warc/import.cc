// Import: a stillpost export (WACZ or .warc.gz) back into a store.
#include <google/protobuf/util/json_util.h>
#include <zip.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "archive/provenance.h"
#include "common/crypto.h"
#include "common/sha256.h"
#include "common/time.h"
#include "proto/time.h"
#include "warc/export.h"
#include "warc/records.h"

namespace stillpost::warc {
namespace {

namespace json = boost::json;
using proto::MicrosOf;

// What an import reads at most: a WACZ member or a WARC decompressed.
constexpr uint64_t kMaxBytes = 8ull << 30;
// Captures per atomic batch (one WAL sync each).
constexpr size_t kBatch = 256;

template <typename M>
Result<M> FromJson(const json::value& v, std::string_view what) {
  M m;
  google::protobuf::util::JsonParseOptions o;
  if (auto s = google::protobuf::util::JsonStringToMessage(json::serialize(v), &m, o); !s.ok()) {
    return InvalidArgumentError("a " + std::string(what) +
                                " record that is not one: " + std::string(s.message()));
  }
  return m;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return UnavailableError("cannot read " + path);
  return std::move(s).str();
}

struct ZipClose {
  void operator()(zip_t* z) const { zip_discard(z); }
};

Result<std::string> ReadMember(zip_t* z, const std::string& name, const std::string& path) {
  zip_stat_t st;
  if (zip_stat(z, name.c_str(), 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0) {
    return InvalidArgumentError(path + " has no " + name);
  }
  if (st.size > kMaxBytes) return ResourceExhaustedError(path + ": " + name + " is too large");
  std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(zip_fopen(z, name.c_str(), 0), zip_fclose);
  if (!f) return InvalidArgumentError(path + ": cannot open " + name);
  std::string out(static_cast<size_t>(st.size), '\0');
  const zip_int64_t n = zip_fread(f.get(), out.data(), st.size);
  if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) {
    return InvalidArgumentError(path + ": " + name + " is damaged");
  }
  return out;
}

// The WARC files of a WACZ, each checked against the hash its datapackage names, and what its
// signature says.
Result<std::vector<std::string>> OpenWacz(const std::string& path, std::string& signature) {
  int error = 0;
  std::unique_ptr<zip_t, ZipClose> z(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!z)
    return InvalidArgumentError(path + " is not a ZIP file (libzip error " + std::to_string(error) +
                                ")");
  SP_ASSIGN_OR_RETURN(const std::string datapackage, ReadMember(z.get(), "datapackage.json", path));
  boost::system::error_code ec;
  const json::value package = json::parse(datapackage, ec);
  if (ec || !package.is_object() || !package.as_object().contains("resources")) {
    return InvalidArgumentError(path + ": datapackage.json is not a WACZ datapackage");
  }
  std::vector<std::string> warcs;
  const json::value& resources = package.as_object().at("resources");
  if (!resources.is_array()) return InvalidArgumentError(path + ": no resources in datapackage");
  for (const json::value& r : resources.as_array()) {
    if (!r.is_object() || !r.as_object().contains("path") || !r.as_object().contains("hash") ||
        !r.at("path").is_string() || !r.at("hash").is_string()) {
      return InvalidArgumentError(path + ": a datapackage resource without path and hash");
    }
    const std::string name(r.at("path").as_string());
    SP_ASSIGN_OR_RETURN(std::string bytes, ReadMember(z.get(), name, path));
    if (archive::PrefixedSha256(bytes) != r.at("hash").as_string()) {
      return InvalidArgumentError(path + ": " + name +
                                  " does not match its hash in datapackage.json");
    }
    if (name.starts_with("archive/")) warcs.push_back(std::move(bytes));
  }
  signature = "none";
  auto digest_json = ReadMember(z.get(), "datapackage-digest.json", path);
  if (digest_json) {
    const json::value d = json::parse(*digest_json, ec);
    const json::object* o = d.if_object();
    const json::value* sd = o != nullptr ? o->if_contains("signedData") : nullptr;
    const std::string hash = archive::PrefixedSha256(datapackage);
    if (o == nullptr || !o->contains("hash") || o->at("hash") != json::value(hash)) {
      return InvalidArgumentError(path +
                                  ": datapackage-digest.json does not match datapackage.json");
    }
    if (sd != nullptr && sd->is_object() && sd->as_object().contains("signature") &&
        sd->as_object().contains("publicKey")) {
      auto sig = Base64Decode(std::string(sd->at("signature").as_string()));
      auto key = Base64Decode(std::string(sd->at("publicKey").as_string()));
      auto ok = sig && key ? VerifyP384(*key, hash, *sig) : Result<bool>(false);
      if (!ok || !*ok) {
        return InvalidArgumentError(path + ": the package's signature does not verify");
      }
      signature = "verified by key " + archive::KeyIdOf(*key);
    }
  }
  if (warcs.empty()) return InvalidArgumentError(path + ": no WARC file in the package");
  return warcs;
}

// The payload of a response (the bytes after its HTTP head) or of a resource.
std::string_view PayloadOf(const Record& r) {
  if (r.Header("WARC-Type") == "response") {
    const size_t end = r.block.find("\r\n\r\n");
    return end == std::string::npos ? std::string_view()
                                    : std::string_view(r.block).substr(end + 4);
  }
  return r.block;
}

struct CaptureEntry {
  archive::CaptureWrite write;
  std::vector<proto::BlobMeta> blobs;
};

}  // namespace

Result<ImportCounts> Import(archive::Store& store, const std::string& path) {
  ImportCounts counts;
  std::vector<std::string> warc_files;
  char magic[2] = {};
  std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
  if (std::string_view(magic, sizeof magic) == "PK") {  // a ZIP: libzip reads its members
    SP_ASSIGN_OR_RETURN(warc_files, OpenWacz(path, counts.package_signature));
  } else {
    SP_ASSIGN_OR_RETURN(std::string file, ReadFile(path));
    warc_files.push_back(std::move(file));
    counts.package_signature = "none (a WARC file)";
  }

  // Read and check everything before writing anything.
  std::map<std::string, std::string> payloads;  // sha256 -> bytes
  std::vector<CaptureEntry> captures;
  std::vector<proto::Article> articles;
  std::map<std::string, proto::SigningKey> keys;
  for (const std::string& bytes : warc_files) {
    auto parsed = ParseWarc(bytes, kMaxBytes);
    if (!parsed) return Status(parsed.error().code(), path + ": " + parsed.error().message());
    for (const Record& r : *parsed) {
      const std::string_view type = r.Header("WARC-Type");
      const std::string_view id = r.Header("WARC-Record-ID");
      if (const std::string_view bd = r.Header("WARC-Block-Digest");
          bd.starts_with("sha256:") && archive::PrefixedSha256(r.block) != bd) {
        return InvalidArgumentError(path + ": record " + std::string(id) +
                                    " does not match its WARC-Block-Digest");
      }
      if (type == "response" || type == "resource") {
        const std::string_view payload = PayloadOf(r);
        const std::string digest = archive::PrefixedSha256(payload);
        if (const std::string_view pd = r.Header("WARC-Payload-Digest");
            pd.starts_with("sha256:") && pd != digest) {
          return InvalidArgumentError(path + ": record " + std::string(id) +
                                      " does not match its WARC-Payload-Digest");
        }
        payloads.emplace(digest.substr(7), std::string(payload));
        continue;
      }
      if (type != "metadata" || r.Header("WARC-Stillpost-Record").empty()) continue;
      boost::system::error_code ec;
      const json::value v = json::parse(r.block, ec);
      if (ec || !v.is_object()) {
        return InvalidArgumentError(path + ": record " + std::string(id) + " is not JSON");
      }
      const json::object& o = v.as_object();
      const std::string_view kind = r.Header("WARC-Stillpost-Record");
      if (kind == "key" && o.contains("key")) {
        SP_ASSIGN_OR_RETURN(proto::SigningKey k, FromJson<proto::SigningKey>(o.at("key"), "key"));
        keys[k.id()] = std::move(k);
      } else if (kind == "article" && o.contains("article")) {
        SP_ASSIGN_OR_RETURN(proto::Article a, FromJson<proto::Article>(o.at("article"), "article"));
        articles.push_back(std::move(a));
      } else if (kind == "capture" && o.contains("capture") && o.contains("key") &&
                 o.at("key").is_string()) {
        CaptureEntry e;
        e.write.key = std::string(o.at("key").as_string());
        SP_ASSIGN_OR_RETURN(e.write.capture, FromJson<proto::Capture>(o.at("capture"), "capture"));
        if (o.contains("manifest") && !o.at("manifest").is_null()) {
          SP_ASSIGN_OR_RETURN(e.write.manifest,
                              FromJson<proto::SignedManifest>(o.at("manifest"), "manifest"));
        }
        if (o.contains("blobs") && o.at("blobs").is_array()) {
          for (const json::value& b : o.at("blobs").as_array()) {
            SP_ASSIGN_OR_RETURN(proto::BlobMeta m, FromJson<proto::BlobMeta>(b, "blob"));
            e.blobs.push_back(std::move(m));
          }
        }
        captures.push_back(std::move(e));
      }
    }
  }
  if (captures.empty()) {
    return InvalidArgumentError(path +
                                " holds no stillpost capture records (only stillpost "
                                "exports can be imported)");
  }
  // Every manifest must verify with the key it names, when the file brings that key.
  for (const CaptureEntry& e : captures) {
    if (!e.write.manifest) continue;
    auto k = keys.find(e.write.manifest->key_id());
    if (k == keys.end()) continue;
    auto ok = archive::VerifyManifest(*e.write.manifest, k->second);
    if (!ok || !*ok) {
      return InvalidArgumentError(path + ": the manifest of " + e.write.key + " at " +
                                  FormatRfc3339(MicrosOf(e.write.capture.captured_at())) +
                                  " does not verify with key " + k->first);
    }
  }
  // Each blob's bytes, from the records that hold them.
  std::vector<CaptureEntry*> pending;
  for (CaptureEntry& e : captures) {
    for (const proto::BlobMeta& m : e.blobs) {
      auto bytes = payloads.find(m.sha256());
      if (bytes == payloads.end()) {
        return InvalidArgumentError(path + " lacks the bytes of blob " + m.sha256() + " (" +
                                    e.write.key + ")");
      }
      proto::BlobMeta meta = m;
      meta.clear_chunk_bytes();  // the store lays pieces out itself
      e.write.blobs.push_back({bytes->second, std::move(meta)});
    }
  }

  // Write: captures the store does not have, in batches; the time order per post holds since
  // an export lists each post's captures oldest first.
  for (auto& [id, k] : keys) {
    k.set_origin("imported from " + std::filesystem::path(path).filename().string());
    SP_RETURN_IF_ERROR(store.AddPublicKey(k));
  }
  counts.keys = keys.size();
  std::map<std::string, int64_t> newest;  // post key -> newest capture time, store or batch
  std::vector<archive::CaptureWrite> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    SP_ASSIGN_OR_RETURN(const archive::AddResult added, store.AddCaptures(batch));
    counts.captures += batch.size();
    counts.blobs += added.blobs_written;
    batch.clear();
    return Status::Ok();
  };
  for (CaptureEntry& e : captures) {
    const int64_t t = MicrosOf(e.write.capture.captured_at());
    auto known = newest.find(e.write.key);
    if (known == newest.end()) {
      auto state = store.StateSummary(e.write.key);
      int64_t at = 0;
      if (state) {
        at = MicrosOf(state->last_checked());
      } else if (state.error().code() != StatusCode::kNotFound) {
        return state.error();
      }
      known = newest.emplace(e.write.key, at).first;
    }
    if (t <= known->second) {
      if (store.CaptureAt(e.write.key, t)) {
        counts.already++;
      } else {
        counts.older++;
      }
      continue;
    }
    known->second = t;
    batch.push_back(std::move(e.write));
    if (batch.size() >= kBatch) SP_RETURN_IF_ERROR(flush());
  }
  SP_RETURN_IF_ERROR(flush());
  for (const proto::Article& a : articles) {
    auto stored = store.GetArticle(a.url());
    if (stored && MicrosOf(stored->scanned_at()) >= MicrosOf(a.scanned_at())) continue;
    SP_RETURN_IF_ERROR(store.PutArticle(a));
    counts.articles++;
  }
  return counts;
}

}  // namespace stillpost::warc
