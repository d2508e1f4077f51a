// Compression of the archive's large records (post states and captures), done by archive/ rather
// than by RocksDB. Why: Debian's RocksDB 7.8 is built without zstd's digested dictionaries, so
// every block read with dictionary compression re-digests the dictionary (measured: +4 to +9 us
// a lookup). Here each value is one zstd frame, compressed against a dictionary trained from the
// store's own posts and digested once (ZSTD_DDict), which keeps values small (shared vocabulary,
// URLs, field names) and a lookup down to one small decompression. See docs/storage.md.
//
// Stored value = tag byte, then:
//   kZstd       a zstd frame (no dictionary; before one is trained)
//   kZstdDict   uint32 LE dictionary id, then a zstd frame made with that dictionary
// Frames carry zstd's content checksum, so any damage decodes to DataLoss, never to other
// bytes (frames written before the checksum was turned on still decode, unchecked).
// Dictionaries are stored in the default column family and never change once written.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stillpost::archive::detail {

class RecordCodec {
 public:
  static constexpr uint32_t kMaxDictionaries = 64;

  RecordCodec();
  ~RecordCodec();
  RecordCodec(const RecordCodec&) = delete;
  RecordCodec& operator=(const RecordCodec&) = delete;

  // Makes dictionary `id` (1..kMaxDictionaries-1) available for decoding, and the newest one
  // for encoding. Thread-safe.
  Status AddDictionary(uint32_t id, std::string_view bytes);
  uint32_t newest_dictionary() const { return newest_.load(std::memory_order_acquire); }

  // Compresses with the newest dictionary (or plain zstd without one). Thread-safe. Internal
  // only when zstd cannot allocate.
  Status Encode(std::string_view raw, std::string& out) const;
  // Decompresses into `out`. Thread-safe. DataLoss for anything that does not decode.
  Status Decode(std::string_view stored, std::string& out) const;

  // Trains a dictionary of about `capacity` bytes from samples (serialized records).
  static Result<std::string> Train(const std::vector<std::string>& samples, size_t capacity);

 private:
  struct Dict;
  std::array<std::atomic<const Dict*>, kMaxDictionaries> dicts_{};
  std::vector<std::unique_ptr<Dict>> owned_;
  std::mutex owned_mu_;
  std::atomic<uint32_t> newest_{0};
};

}  // namespace stillpost::archive::detail
