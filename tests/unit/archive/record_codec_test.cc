#include "archive/detail/record_codec.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace stillpost::archive::detail {
namespace {

std::vector<std::string> Samples() {
  std::vector<std::string> out;
  for (int i = 0; i < 300; ++i) {
    out.push_back("{\"text\":\"post number " + std::to_string(i) +
                  " about the summit, the meeting and the press\",\"user\":\"someone" +
                  std::to_string(i % 17) + "\",\"url\":\"https://x.com/someone/status/" +
                  std::to_string(1000000 + i * 7919) + "\"}");
  }
  return out;
}

TEST_CASE("record codec: records round-trip before and after a dictionary exists") {
  RecordCodec codec;
  const std::string raw = Samples()[3];
  std::string plain, back;
  REQUIRE(codec.Encode(raw, plain).ok());
  REQUIRE(codec.Decode(plain, back).ok());
  CHECK(back == raw);

  auto dict = RecordCodec::Train(Samples(), 4096);
  REQUIRE(dict.has_value());
  REQUIRE(codec.AddDictionary(1, *dict).ok());
  CHECK(codec.newest_dictionary() == 1);
  std::string with_dict;
  REQUIRE(codec.Encode(raw, with_dict).ok());
  CHECK(with_dict.size() < plain.size());
  REQUIRE(codec.Decode(with_dict, back).ok());
  CHECK(back == raw);
  // Records written before the dictionary stay readable.
  REQUIRE(codec.Decode(plain, back).ok());
  CHECK(back == raw);
}

TEST_CASE("record codec: damaged records are data loss, never a crash") {
  RecordCodec codec;
  auto dict = RecordCodec::Train(Samples(), 4096);
  REQUIRE(dict.has_value());
  std::string plain;
  REQUIRE(codec.Encode(Samples()[0], plain).ok());  // before the dictionary: plain zstd
  REQUIRE(codec.AddDictionary(1, *dict).ok());
  std::string good;
  REQUIRE(codec.Encode(Samples()[0], good).ok());
  std::string out;

  CHECK(codec.Decode("", out).code() == StatusCode::kDataLoss);
  CHECK(codec.Decode(std::string(1, '\x07'), out).code() == StatusCode::kDataLoss);
  CHECK(codec.Decode(std::string(1, '\x00') + "bytes", out).code() == StatusCode::kDataLoss);
  CHECK(codec.Decode(good.substr(0, good.size() / 2), out).code() == StatusCode::kDataLoss);

  // Every single-bit flip anywhere in a record, with a dictionary and without, is refused as
  // data loss or decodes to the very same bytes (a bit zstd does not read: the frame header's
  // unused bit, padding); none decodes to other bytes. That is zstd's frame checksum, and no tag
  // that takes bytes as they are.
  for (const std::string* record : {&good, &plain}) {
    size_t refused = 0, same = 0;
    for (size_t byte = 0; byte < record->size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string flipped = *record;
        flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
        out.clear();
        const Status s = codec.Decode(flipped, out);
        INFO("byte " << byte << " bit " << bit << " of " << record->size());
        if (s.ok()) {
          CHECK(out == Samples()[0]);
          ++same;
        } else {
          CHECK(s.code() == StatusCode::kDataLoss);
          ++refused;
        }
      }
    }
    INFO(refused << " refused, " << same << " decoded unchanged");
    CHECK(refused + same == record->size() * 8);
    CHECK(refused > same * 10);  // almost every bit matters
  }

  RecordCodec without;  // a reader that lacks dictionary 1
  auto missing = without.Decode(good, out);
  CHECK(missing.code() == StatusCode::kDataLoss);
  CHECK(missing.message().find("dictionary 1") != std::string::npos);
  CHECK(codec.AddDictionary(0, *dict).code() == StatusCode::kDataLoss);
  CHECK(codec.AddDictionary(RecordCodec::kMaxDictionaries, *dict).code() == StatusCode::kDataLoss);
}

}  // namespace
}  // namespace stillpost::archive::detail
