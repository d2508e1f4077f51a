#include "archive/detail/record_codec.h"

#include <zdict.h>
#include <zstd.h>

#include <cstring>

namespace stillpost::archive::detail {
namespace {

// Tag 0 (once "raw", never written) is refused: a flipped bit must not turn a frame into bytes
// taken as they are.
constexpr char kZstd = 1;
constexpr char kZstdDict = 2;
constexpr int kLevel = 3;                      // zstd's default: fast, decompression is level-free
constexpr size_t kMaxRecordBytes = 64u << 20;  // no post record comes near this

struct DctxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

struct CctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

ZSTD_DCtx* ThreadDctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx(ZSTD_createDCtx());
  return dctx.get();
}

ZSTD_CCtx* ThreadCctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CctxDeleter> cctx(ZSTD_createCCtx());
  return cctx.get();
}

}  // namespace

struct RecordCodec::Dict {
  std::string bytes;
  ZSTD_CDict* cdict = nullptr;
  ZSTD_DDict* ddict = nullptr;
  ~Dict() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
  }
};

RecordCodec::RecordCodec() = default;
RecordCodec::~RecordCodec() = default;

Status RecordCodec::AddDictionary(uint32_t id, std::string_view bytes) {
  if (id == 0 || id >= kMaxDictionaries) {
    return DataLossError("dictionary id " + std::to_string(id) + " out of range");
  }
  auto d = std::make_unique<Dict>();
  d->bytes = bytes;
  d->cdict = ZSTD_createCDict(d->bytes.data(), d->bytes.size(), kLevel);
  d->ddict = ZSTD_createDDict(d->bytes.data(), d->bytes.size());
  if (d->cdict == nullptr || d->ddict == nullptr) {
    return DataLossError("unusable compression dictionary " + std::to_string(id));
  }
  std::lock_guard<std::mutex> lock(owned_mu_);
  dicts_[id].store(d.get(), std::memory_order_release);
  owned_.push_back(std::move(d));
  if (id > newest_.load()) newest_.store(id, std::memory_order_release);
  return Status::Ok();
}

Status RecordCodec::Encode(std::string_view raw, std::string& out) const {
  const uint32_t id = newest_.load(std::memory_order_acquire);
  const Dict* dict = id != 0 ? dicts_[id].load(std::memory_order_acquire) : nullptr;
  const size_t header = dict != nullptr ? 5 : 1;
  out.resize(header + ZSTD_compressBound(raw.size()));
  out[0] = dict != nullptr ? kZstdDict : kZstd;
  if (dict != nullptr) {
    for (int i = 0; i < 4; ++i)
      out[1 + static_cast<size_t>(i)] = static_cast<char>((id >> (8 * i)) & 0xff);
  }
  // Every frame carries its content checksum (XXH64, checked by every decompression): without
  // it a flipped bit could decode "fine" to other bytes.
  ZSTD_CCtx* cctx = ThreadCctx();
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, kLevel);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  if (dict != nullptr) ZSTD_CCtx_refCDict(cctx, dict->cdict);
  const size_t n =
      ZSTD_compress2(cctx, out.data() + header, out.size() - header, raw.data(), raw.size());
  if (cctx == nullptr || ZSTD_isError(n)) {
    out.clear();
    return InternalError(std::string("zstd cannot compress a record: ") +
                         (cctx == nullptr ? "no context" : ZSTD_getErrorName(n)));
  }
  out.resize(header + n);
  return Status::Ok();
}

Status RecordCodec::Decode(std::string_view stored, std::string& out) const {
  if (stored.empty()) return DataLossError("empty record");
  const char tag = stored[0];
  if (tag != kZstd && tag != kZstdDict) {
    return DataLossError("record with unknown encoding " + std::to_string(int(tag)));
  }
  const Dict* dict = nullptr;
  size_t header = 1;
  if (tag == kZstdDict) {
    if (stored.size() < 5) return DataLossError("truncated record header");
    uint32_t id = 0;
    for (int i = 3; i >= 0; --i)
      id = (id << 8) | static_cast<unsigned char>(stored[1 + static_cast<size_t>(i)]);
    if (id == 0 || id >= kMaxDictionaries ||
        (dict = dicts_[id].load(std::memory_order_acquire)) == nullptr) {
      return DataLossError("record needs compression dictionary " + std::to_string(id) +
                           ", which the store does not have");
    }
    header = 5;
  }
  const std::string_view frame = stored.substr(header);
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > kMaxRecordBytes) {
    return DataLossError("record is not a readable zstd frame");
  }
  out.resize(static_cast<size_t>(size));
  const size_t n =
      dict != nullptr
          ? ZSTD_decompress_usingDDict(ThreadDctx(), out.data(), out.size(), frame.data(),
                                       frame.size(), dict->ddict)
          : ZSTD_decompressDCtx(ThreadDctx(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != out.size()) {
    return DataLossError(std::string("record does not decompress: ") +
                         (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short output"));
  }
  return Status::Ok();
}

Result<std::string> RecordCodec::Train(const std::vector<std::string>& samples, size_t capacity) {
  std::string joined;
  std::vector<size_t> sizes;
  sizes.reserve(samples.size());
  for (const auto& s : samples) {
    joined += s;
    sizes.push_back(s.size());
  }
  std::string dict(capacity, '\0');
  const size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), joined.data(), sizes.data(),
                                         static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    return InternalError(std::string("dictionary training failed: ") + ZDICT_getErrorName(n));
  }
  dict.resize(n);
  return dict;
}

}  // namespace stillpost::archive::detail
