// How archive/ lays its records out in RocksDB keys. Private to archive/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stillpost::archive::detail {

// Column families. The names are stored in the DB: never rename one.
inline constexpr const char* kCfStates = "states";          // post key -> StateValue (below)
inline constexpr const char* kCfCaptures = "captures";      // post key \0 BE64(time) -> Capture
inline constexpr const char* kCfBlobs = "blobs";            // sha256 -> bytes
inline constexpr const char* kCfBlobMeta = "blob_meta";     // sha256 -> BlobMeta
inline constexpr const char* kCfArticles = "articles";      // canonical URL -> Article
inline constexpr const char* kCfIndexes = "indexes";        // see the k*Index prefixes
inline constexpr const char* kCfService = "service";        // the server's records (service/)
inline constexpr const char* kCfSchedule = "schedule";      // the re-check schedule (service/)
inline constexpr const char* kCfProvenance = "provenance";  // capture key -> SignedManifest

// Keys in the default column family.
inline constexpr std::string_view kFormatKey = "stillpost/format";
inline constexpr std::string_view kFormatVersion = "1";
inline constexpr std::string_view kCountersKey = "stillpost/counters";
// The store's signing keys: this prefix, then BE64(valid_from µs) -> SigningKey.
inline constexpr std::string_view kSigningKeyPrefix = "stillpost/signing-key/";

// Index entries:
//   't' BE64(time) post-key      captures by time (empty value)
//   'h' handle                   Bluesky handle -> the DID it had in its newest capture
//   'a' post-key \0 article-url  articles that reference a post -> BE64(first scan naming it)
// (Posts by platform need no index: state keys start with the platform.)
inline constexpr char kTimeIndex = 't';
inline constexpr char kHandleIndex = 'h';
inline constexpr char kArticleIndex = 'a';
// Set once every article's posts are in the 'a' index (stores from before it are indexed on
// their first primary open).
inline constexpr std::string_view kArticleIndexKey = "stillpost/article-index";

inline std::string ArticleIndexPrefix(std::string_view post_key) {
  std::string k(1, kArticleIndex);
  k.append(post_key);
  k.push_back('\0');
  return k;
}

// The key of piece `index` of a blob stored in chunks: "SHA#" and 8 hex digits, so a blob's
// pieces sort together and in order.
inline std::string BlobChunkKey(std::string_view sha256, uint32_t index) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string k(sha256);
  k += '#';
  for (int shift = 28; shift >= 0; shift -= 4) k += kHex[(index >> shift) & 0xf];
  return k;
}

inline std::string HandleIndexKey(std::string_view handle) {
  std::string k(1, kHandleIndex);
  k.append(handle);
  return k;
}

inline void AppendBigEndian64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

inline uint64_t DecodeBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < in.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  }
  return v;
}

// Post keys never contain \0, so key\0... sorts all of a post's captures together, oldest first.
inline std::string CaptureKey(std::string_view post_key, int64_t micros) {
  std::string k;
  k.reserve(post_key.size() + 9);
  k.append(post_key);
  k.push_back('\0');
  AppendBigEndian64(k, static_cast<uint64_t>(micros));
  return k;
}

inline std::string CapturePrefix(std::string_view post_key) {
  std::string k(post_key);
  k.push_back('\0');
  return k;
}

inline std::string CapturePrefixEnd(std::string_view post_key) {
  std::string k(post_key);
  k.push_back('\x01');
  return k;
}

inline std::string TimeIndexKey(int64_t micros, std::string_view post_key) {
  std::string k(1, kTimeIndex);
  AppendBigEndian64(k, static_cast<uint64_t>(micros));
  k.append(post_key);
  return k;
}

// A states value: the post's state and, beside it, its latest good capture as an encoded record
// (RecordCodec), so that the capture can move to `captures` byte for byte when superseded.
//   fixed32 LE n | n bytes: PostState without key and latest_good | encoded capture (or nothing)
inline void EncodeStateValue(std::string_view header, std::string_view record, std::string& out) {
  out.clear();
  const auto n = static_cast<uint32_t>(header.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(header);
  out.append(record);
}

// Splits a states value; false when it is too short to be one.
inline bool SplitStateValue(std::string_view value, std::string_view& header,
                            std::string_view& record) {
  if (value.size() < 4) return false;
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i)
    n = (n << 8) | static_cast<unsigned char>(value[static_cast<size_t>(i)]);
  if (value.size() - 4 < n) return false;
  header = value.substr(4, n);
  record = value.substr(4 + n);
  return true;
}

}  // namespace stillpost::archive::detail
