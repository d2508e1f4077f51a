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
  codec.Encode(raw, plain);
  REQUIRE(codec.Decode(plain, back).ok());
  CHECK(back == raw);

  auto dict = RecordCodec::Train(Samples(), 4096);
  REQUIRE(dict.has_value());
  REQUIRE(codec.AddDictionary(1, *dict).ok());
  CHECK(codec.newest_dictionary() == 1);
  std::string with_dict;
  codec.Encode(raw, with_dict);
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
  REQUIRE(codec.AddDictionary(1, *dict).ok());
  std::string good;
  codec.Encode(Samples()[0], good);
  std::string out;

  CHECK(codec.Decode("", out).code() == StatusCode::kDataLoss);
  CHECK(codec.Decode(std::string(1, '\x07'), out).code() == StatusCode::kDataLoss);
  CHECK(codec.Decode(good.substr(0, good.size() / 2), out).code() == StatusCode::kDataLoss);
  std::string flipped = good;
  flipped[flipped.size() - 3] = static_cast<char>(flipped[flipped.size() - 3] ^ 0x5a);
  CHECK_NOTHROW(static_cast<void>(codec.Decode(flipped, out)));

  RecordCodec without;  // a reader that lacks dictionary 1
  auto missing = without.Decode(good, out);
  CHECK(missing.code() == StatusCode::kDataLoss);
  CHECK(missing.message().find("dictionary 1") != std::string::npos);
  CHECK(codec.AddDictionary(0, *dict).code() == StatusCode::kDataLoss);
  CHECK(codec.AddDictionary(RecordCodec::kMaxDictionaries, *dict).code() == StatusCode::kDataLoss);
}

}  // namespace
}  // namespace stillpost::archive::detail
