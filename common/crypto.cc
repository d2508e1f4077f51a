#include "common/crypto.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace stillpost {
namespace {

constexpr size_t kP384FieldBytes = 48;

// An OpenSSL object owned: freed with its own free function.
template <typename T, auto Free>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, auto Free>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;
using Pkey = Owned<EVP_PKEY, EVP_PKEY_free>;
using MdCtx = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;
using Sig = Owned<ECDSA_SIG, ECDSA_SIG_free>;

// DER from OpenSSL's i2d functions.
template <typename T, typename F>
std::string ToDer(const T* obj, F i2d) {
  const int n = i2d(obj, nullptr);
  if (n <= 0) return {};
  std::string out(static_cast<size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d(obj, &p);
  return out;
}

bool IsP384(const EVP_PKEY* key) {
  char group[64] = {};
  size_t len = 0;
  return EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1 &&
         std::string_view(group, len) == "secp384r1";
}

}  // namespace

Result<KeyPair> GenerateP384Key() {
  EVP_PKEY* raw = EVP_EC_gen("P-384");
  if (raw == nullptr) return InternalError("OpenSSL cannot generate a P-384 key");
  Pkey key(raw);
  KeyPair pair;
  pair.public_spki = ToDer(key.get(), i2d_PUBKEY);
  Owned<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free> p8(EVP_PKEY2PKCS8(key.get()));
  if (!p8) return InternalError("OpenSSL cannot encode a P-384 key");
  pair.private_pkcs8 = ToDer(p8.get(), i2d_PKCS8_PRIV_KEY_INFO);
  if (pair.public_spki.empty() || pair.private_pkcs8.empty()) {
    return InternalError("OpenSSL cannot encode a P-384 key");
  }
  return pair;
}

Result<std::shared_ptr<const P384Signer>> P384Signer::FromPkcs8(std::string_view private_pkcs8) {
  const auto* p = reinterpret_cast<const unsigned char*>(private_pkcs8.data());
  Pkey key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(private_pkcs8.size())));
  if (!key || !IsP384(key.get())) return InvalidArgumentError("not a P-384 private key");
  std::shared_ptr<P384Signer> signer(new P384Signer());
  signer->key_ = key.release();
  return std::shared_ptr<const P384Signer>(std::move(signer));
}

P384Signer::~P384Signer() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

Result<std::string> P384Signer::Sign(std::string_view message) const {
  auto* key = static_cast<EVP_PKEY*>(key_);
  MdCtx md(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return InternalError("OpenSSL cannot sign");
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return InternalError("OpenSSL cannot sign");
  }
  // OpenSSL gives DER (SEQUENCE of r, s); WebCrypto wants r||s, each padded to the field size.
  const auto* d = reinterpret_cast<const unsigned char*>(der.data());
  Sig sig(d2i_ECDSA_SIG(nullptr, &d, static_cast<long>(der_len)));
  if (!sig) return InternalError("OpenSSL gave a signature it cannot read");
  std::string raw(2 * kP384FieldBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kP384FieldBytes) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kP384FieldBytes, kP384FieldBytes) < 0) {
    return InternalError("OpenSSL cannot encode a signature");
  }
  return raw;
}

Result<std::string> SignP384(std::string_view private_pkcs8, std::string_view message) {
  SP_ASSIGN_OR_RETURN(auto signer, P384Signer::FromPkcs8(private_pkcs8));
  return signer->Sign(message);
}

Result<bool> VerifyP384(std::string_view public_spki, std::string_view message,
                        std::string_view signature) {
  const auto* p = reinterpret_cast<const unsigned char*>(public_spki.data());
  Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_spki.size())));
  if (!key || !IsP384(key.get())) return InvalidArgumentError("not a P-384 public key");
  if (signature.size() != 2 * kP384FieldBytes) return false;
  const auto* s = reinterpret_cast<const unsigned char*>(signature.data());
  Sig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(s, kP384FieldBytes, nullptr);
  BIGNUM* sv = BN_bin2bn(s + kP384FieldBytes, kP384FieldBytes, nullptr);
  if (!sig || r == nullptr || sv == nullptr || ECDSA_SIG_set0(sig.get(), r, sv) != 1) {
    BN_free(r);
    BN_free(sv);
    return InternalError("OpenSSL cannot read a signature");
  }
  const std::string der = ToDer(sig.get(), i2d_ECDSA_SIG);
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return InternalError("OpenSSL cannot verify");
  }
  return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgumentError("not base64 (length)");
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return InvalidArgumentError("not base64");
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && len > 0; --i) --len;
  out.resize(len);
  return out;
}

std::vector<std::string> PemCertificatesToDer(std::string_view pem) {
  std::vector<std::string> out;
  Owned<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return out;
  while (true) {
    Owned<X509, X509_free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    out.push_back(ToDer(cert.get(), i2d_X509));
  }
  ERR_clear_error();  // the end of the text reads as an error
  return out;
}

}  // namespace stillpost
