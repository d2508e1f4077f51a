// WARC files as an import reads them (gzip members or plain, then records), and the helpers an
// export runs on their contents. Whatever parses serializes back to records that parse the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/time.h"
#include "warc/records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static_cast<void>(stillpost::ParseHttpDate(bytes.substr(0, 64)));
  auto records = stillpost::warc::ParseWarc(bytes, 16u << 20);
  if (!records) return 0;
  std::string again;
  for (const auto& r : *records) {
    static_cast<void>(stillpost::warc::Surt(r.Header("WARC-Target-URI")));
    static_cast<void>(stillpost::warc::HeadForBody(r.block, r.block.size()));
    again += stillpost::warc::Serialize(r);
  }
  auto reread = stillpost::warc::ParseWarc(again, 16u << 20);
  if (!reread || reread->size() != records->size()) std::abort();
  for (size_t i = 0; i < records->size(); ++i) {
    if ((*reread)[i].block != (*records)[i].block ||
        (*reread)[i].headers != (*records)[i].headers) {
      std::abort();
    }
  }
  return 0;
}
