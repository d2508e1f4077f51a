#include "archive/provenance.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "archive/store.h"
#include "common/crypto.h"
#include "common/sha256.h"
#include "common/time.h"
#include "proto/time.h"

namespace stillpost::archive {
namespace {

namespace json = boost::json;

void CollectBlobs(const proto::Post& post, std::set<std::string>& out) {
  std::vector<BlobRef> refs;
  AppendBlobRefs(post, refs);
  for (const auto& r : refs) out.insert("sha256:" + r.sha256);
}

json::value OrNull(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

std::string OutcomeOf(const proto::Capture& c) {
  if (c.has_post()) return c.partial() ? "post (partial)" : "post";
  std::string kind = proto::Tombstone::Kind_Name(c.tombstone().kind());
  if (kind.rfind("KIND_", 0) == 0) kind = kind.substr(5);
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return "gone: " + kind;
}

}  // namespace

std::string PrefixedSha256(std::string_view bytes) { return "sha256:" + Sha256Hex(bytes); }

std::string KeyIdOf(std::string_view public_spki) { return Sha256Hex(public_spki).substr(0, 16); }

std::string BuildManifest(std::string_view key, const proto::Capture& capture,
                          std::string_view previous) {
  const proto::HttpExchange& x = capture.exchange();
  std::set<std::string> media;
  if (capture.has_post()) CollectBlobs(capture.post(), media);
  json::array media_json;
  for (const auto& m : media) media_json.emplace_back(m);
  std::string chain;
  for (const auto& der : x.tls_chain()) chain += der;
  // Inserted in key order: boost::json keeps insertion order, so this is the canonical form.
  json::object o;
  o["body"] = capture.raw_body_blob().empty() ? json::value(nullptr)
                                              : json::value("sha256:" + capture.raw_body_blob());
  o["captured_at"] = FormatRfc3339(proto::MicrosOf(capture.captured_at()));
  o["content"] = OrNull(capture.content_digest());
  o["format"] = kManifestFormat;
  o["head"] = x.response_head().empty() ? json::value(nullptr)
                                        : json::value(PrefixedSha256(x.response_head()));
  o["http_version"] = OrNull(x.http_version());
  o["key"] = key;
  o["media"] = std::move(media_json);
  o["outcome"] = OutcomeOf(capture);
  o["previous"] = previous.empty() ? json::value(nullptr) : json::value(previous);
  o["remote_ip"] = OrNull(x.remote_ip());
  o["request_head"] = x.request_head().empty() ? json::value(nullptr)
                                               : json::value(PrefixedSha256(x.request_head()));
  o["request_url"] = x.url().empty() ? capture.source_url() : x.url();
  o["software"] = capture.fetcher_version().empty()
                      ? json::value(nullptr)
                      : json::value("stillpost/" + capture.fetcher_version());
  o["status"] = capture.http_status();
  o["tls_chain"] =
      x.tls_chain().empty() ? json::value(nullptr) : json::value(PrefixedSha256(chain));
  o["tls_verified"] = x.tls_chain().empty() && !x.tls_verified() ? json::value(nullptr)
                                                                 : json::value(x.tls_verified());
  return json::serialize(o);
}

Result<proto::SignedManifest> SignManifest(std::string manifest, const P384Signer& signer,
                                           std::string_view key_id) {
  proto::SignedManifest out;
  out.set_digest(PrefixedSha256(manifest));
  SP_ASSIGN_OR_RETURN(const std::string signature, signer.Sign(out.digest()));
  out.set_signature(Base64Encode(signature));
  out.set_key_id(std::string(key_id));
  out.set_manifest(std::move(manifest));
  return out;
}

Result<bool> VerifyManifest(const proto::SignedManifest& m, const proto::SigningKey& key) {
  if (PrefixedSha256(m.manifest()) != m.digest()) return false;
  auto signature = Base64Decode(m.signature());
  if (!signature) return false;
  return VerifyP384(key.public_spki(), m.digest(), *signature);
}

}  // namespace stillpost::archive
