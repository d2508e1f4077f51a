#include "service/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <boost/algorithm/hex.hpp>
#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/endian/conversion.hpp>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/sha256.h"

namespace stillpost::service {
namespace {

constexpr size_t kMinTokenLength = 16;

std::string Trim(std::string_view s) {
  return boost::algorithm::trim_copy_if(std::string(s), boost::algorithm::is_any_of(" \t\r"));
}

}  // namespace

Status Tokens::Add(std::string name, std::string token) {
  if (name.empty()) return InvalidArgumentError("a token needs a name (NAME:TOKEN)");
  if (token.size() < kMinTokenLength) {
    return InvalidArgumentError("token " + name + " is shorter than " +
                                std::to_string(kMinTokenLength) + " characters");
  }
  for (const auto& e : entries_) {
    if (e.name == name) return InvalidArgumentError("token name " + name + " is used twice");
  }
  entries_.push_back({std::move(name), Sha256Hex(token)});
  return Status::Ok();
}

Result<Tokens> Tokens::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot read the tokens file " + path);
  Tokens tokens;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    const size_t colon = t.find(':');
    if (colon == std::string::npos) {
      return InvalidArgumentError(path + ":" + std::to_string(number) + ": not NAME:TOKEN");
    }
    if (Status s = tokens.Add(Trim(t.substr(0, colon)), Trim(t.substr(colon + 1))); !s.ok()) {
      return s.WithContext(path + ":" + std::to_string(number));
    }
  }
  return tokens;
}

std::string Tokens::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !boost::algorithm::istarts_with(authorization, kBearer)) {
    return {};
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  const std::string digest = Sha256Hex(token);
  std::string name;
  for (const auto& e : entries_) {
    if (CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0) name = e.name;
  }
  return name;
}

Result<std::string> NewTimeOrderedId(UnixMicros now, size_t random_bytes) {
  std::vector<unsigned char> bytes(8 + random_bytes);
  boost::endian::store_big_u64(bytes.data(), static_cast<uint64_t>(now));
  if (random_bytes > 0 && RAND_bytes(bytes.data() + 8, static_cast<int>(random_bytes)) != 1) {
    return InternalError("no random bytes for an id");
  }
  std::string out;
  boost::algorithm::hex_lower(bytes.begin(), bytes.end(), std::back_inserter(out));
  return out;
}

Result<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return InternalError("no random bytes for a token");
  std::string out;
  boost::algorithm::hex_lower(std::begin(bytes), std::end(bytes), std::back_inserter(out));
  return out;
}

}  // namespace stillpost::service
