// Public-key signatures and the encodings around them (OpenSSL 3): the P-384 keys a store signs
// its captures' manifests and its WACZ packages with, in the one form ReplayWeb.page and
// WebCrypto verify — ECDSA with SHA-256, the signature as raw r||s (96 bytes), the public key
// as DER SubjectPublicKeyInfo — plus base64 and PEM certificates to DER.
// Thread safety: pure functions. Errors are Internal (OpenSSL failed) or InvalidArgument (bytes
// that are not a key, a signature, base64, a certificate).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stillpost {

struct KeyPair {
  std::string private_pkcs8;  // DER PKCS#8
  std::string public_spki;    // DER SubjectPublicKeyInfo
};

// A new P-384 key.
Result<KeyPair> GenerateP384Key();
// ECDSA P-384 with SHA-256 over `message`: r||s, 48 bytes each.
Result<std::string> SignP384(std::string_view private_pkcs8, std::string_view message);
// A private key read once, for many signatures (reading PKCS#8 costs as much as a signature).
// Thread safety: Sign() may be called from any number of threads at once.
class P384Signer {
 public:
  // InvalidArgument for bytes that are not a P-384 private key.
  static Result<std::shared_ptr<const P384Signer>> FromPkcs8(std::string_view private_pkcs8);
  ~P384Signer();
  P384Signer(const P384Signer&) = delete;
  P384Signer& operator=(const P384Signer&) = delete;
  // As SignP384.
  Result<std::string> Sign(std::string_view message) const;

 private:
  P384Signer() = default;
  void* key_ = nullptr;  // EVP_PKEY
};

// True when `signature` (r||s) is `message` signed by the key. InvalidArgument for a public key
// that cannot be read.
Result<bool> VerifyP384(std::string_view public_spki, std::string_view message,
                        std::string_view signature);

// Standard base64 with padding, no line breaks.
std::string Base64Encode(std::string_view bytes);
// InvalidArgument for text that is not base64.
Result<std::string> Base64Decode(std::string_view text);

// Every certificate in PEM text ("-----BEGIN CERTIFICATE-----" blocks), as DER, in order.
std::vector<std::string> PemCertificatesToDer(std::string_view pem);

}  // namespace stillpost
