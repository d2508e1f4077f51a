// Provenance a reader can check without trusting the server: every capture gets a manifest of
// what was fetched — canonical JSON, keys in order, no whitespace — signed with the store's
// P-384 key (common/crypto.h) over the string "sha256:<hex of the manifest>", the form WACZ
// packages and WebCrypto use. Each manifest names the previous manifest of the same post, so a
// post's captures form a hash chain: one taken out or changed breaks the links after it.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/crypto.h"
#include "common/status.h"
#include "stillpost.pb.h"

namespace stillpost::archive {

// The manifest's format name, its first field.
inline constexpr std::string_view kManifestFormat = "stillpost-manifest/1";

// The canonical manifest of one capture of `key`, chained to `previous` ("sha256:..." or empty
// for a post's first capture). Fields: format, key, captured_at, request_url, status, outcome,
// head (digest of the response head), request_head, body (the raw body blob), media (every
// other blob the capture names, sorted), content (what the post shows, Capture.content_digest),
// remote_ip, http_version, tls_chain (digest of the DER certificates, leaf first, concatenated),
// tls_verified, software (the stillpost that fetched it), previous. Absent facts are null.
std::string BuildManifest(std::string_view key, const proto::Capture& capture,
                          std::string_view previous);

// "sha256:<hex>" of `bytes`: how manifests and WACZ files name digests.
std::string PrefixedSha256(std::string_view bytes);

// A manifest signed: digest and signature (base64 of r||s) by `signer`, under `key_id`.
Result<proto::SignedManifest> SignManifest(std::string manifest, const P384Signer& signer,
                                           std::string_view key_id);

// Whether the signed manifest's digest is its manifest's and the signature is by `key`.
// Ok(false) for a digest or signature that does not match; an error for a malformed key.
Result<bool> VerifyManifest(const proto::SignedManifest& signed_manifest,
                            const proto::SigningKey& key);

// The id of a public key: the first 16 hex digits of the SHA-256 of its DER SPKI.
std::string KeyIdOf(std::string_view public_spki);

}  // namespace stillpost::archive
