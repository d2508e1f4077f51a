// Bluesky: a getPostThread answer (facets in UTF-8 bytes) mapped to a Post, then rendered; the
// handle and DID-document answers too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fetcher/bluesky/bluesky.h"
#include "tests/fuzz/fuzz_post.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto mapped = stillpost::fetcher::bluesky::MapPostThread(body, "did:plc:z7ja7uhcr5is6uqmnsjyn3k7",
                                                           "3lhmggpkbw22v");
  if (mapped) stillpost::fuzz::Exercise(*mapped);
  (void)stillpost::fetcher::bluesky::ParseResolveHandle(body);
  (void)stillpost::fetcher::bluesky::ParseGetPosts(body);
  (void)stillpost::fetcher::bluesky::PdsFromDidDocument(body);
  (void)stillpost::fetcher::bluesky::TombstoneFor(400, body);
  (void)stillpost::fetcher::bluesky::BlobMatchesCid(
      body, "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy");
  return 0;
}
