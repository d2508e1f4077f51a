// What users and pages name as posts: keys, URLs on three networks, at:// URIs, bare ids.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/post_key.h"
#include "common/post_ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto ref = stillpost::ParsePostRef(input, {"nitter.example"})) {
    // A reference that names a key names a valid one, and formats back to itself.
    if (!ref->key.empty()) {
      auto key = stillpost::ParsePostKey(ref->key);
      if (!key) std::abort();
      if (stillpost::FormatPostKey(*key) != ref->key) std::abort();
    }
  }
  (void)stillpost::ParseXPostRef(input);
  (void)stillpost::ParseMastodonPostRef(input);
  (void)stillpost::ParseBlueskyPostRef(input);
  (void)stillpost::PostKeyFromRef(input);
  return 0;
}
