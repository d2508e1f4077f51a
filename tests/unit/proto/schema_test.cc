#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>

#include "stillpost.pb.h"
#include "tests/support/sample.h"

namespace stillpost {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::SampleCapture;

proto::Capture FullCapture() {
  proto::Capture c = SampleCapture("20", 1700000000000000, 1);
  proto::Post* p = c.mutable_post();
  auto* m = p->add_media();
  m->set_kind(proto::Media::KIND_VIDEO);
  m->set_blob(Sha256Hex("video"));
  m->set_mime("video/mp4");
  m->set_width(1280);
  m->set_height(720);
  m->set_duration_ms(12345);
  m->set_alt_text("a cat <b>");
  m->set_poster_blob(Sha256Hex("poster"));
  p->mutable_card()->set_title("Card");
  p->mutable_card()->set_image_blob(Sha256Hex("card"));
  *p->mutable_quoted() = testing::SamplePost("19", 2);
  p->set_quoted_key("x/19");
  p->set_reply_to_key("x/18");
  p->set_content_warning("spoilers");
  *p->mutable_edited_at() = testing::Ts(1700000001000000);
  p->mutable_poll()->add_options()->set_title("yes");
  c.set_raw_body_blob(Sha256Hex("{}"));
  c.set_partial(true);
  c.set_partial_reason("avatar failed");
  return c;
}

TEST_CASE("schema: a capture with every kind of field survives bytes and JSON") {
  const proto::Capture original = FullCapture();
  proto::Capture from_bytes;
  REQUIRE(from_bytes.ParseFromString(original.SerializeAsString()));
  CHECK(MessageDifferencer::Equals(original, from_bytes));

  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(original, &json).ok());
  proto::Capture from_json;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &from_json).ok());
  CHECK(MessageDifferencer::Equals(original, from_json));
  CHECK(json.find("\"capturedAt\":\"2023-11-14T22:13:20Z\"") != std::string::npos);
}

TEST_CASE("schema: fields from a newer schema are kept by an older reader") {
  proto::Capture c = FullCapture();
  std::string bytes = c.SerializeAsString();
  // Field 99 (not in this schema), wire type 2 (length-delimited), 3 bytes "new".
  bytes += std::string("\x9a\x06\x03new", 6);
  proto::Capture older;
  REQUIRE(older.ParseFromString(bytes));
  CHECK(MessageDifferencer::Equals(c, older) == false);  // the unknown field is carried along
  CHECK(older.SerializeAsString() == bytes);
}

TEST_CASE("schema: a tombstone and a post are exclusive outcomes") {
  proto::Capture c = FullCapture();
  c.mutable_tombstone()->set_kind(proto::Tombstone::KIND_DELETED);
  CHECK(c.outcome_case() == proto::Capture::kTombstone);
  CHECK_FALSE(c.has_post());
}

TEST_CASE("schema: garbage does not parse as a capture") {
  proto::Capture c;
  CHECK_FALSE(c.ParseFromString(std::string("\xff\xff\xff\xff\x0f", 5)));
}

}  // namespace
}  // namespace stillpost
