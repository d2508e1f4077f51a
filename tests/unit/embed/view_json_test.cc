// How records leave the archive as JSON (embed/view_json.h): protobuf's printer, web links
// only, valid UTF-8, no empty parts.
#include "embed/view_json.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "tests/support/posts.h"

namespace stillpost::embed {
namespace {

TEST_CASE("view json: only web links leave, text is valid UTF-8, empty parts are absent") {
  proto::Capture c = testing::FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  proto::Post* p = c.mutable_post();
  p->set_url("javascript:alert(1)");
  p->mutable_author()->set_profile_url("https://x.com/SamuelSusla");
  p->mutable_media(0)->set_original_url("data:image/png;base64,AAAA");
  p->mutable_card()->Clear();
  p->mutable_card()->set_url("vbscript:x");  // the card's only field: the card goes too
  p->set_text("caf\xC3\xA9 \xFF");
  auto json = ViewJson(c);
  REQUIRE(json);
  CHECK(json->find("javascript:") == std::string::npos);
  CHECK(json->find("data:image") == std::string::npos);
  CHECK(json->find("vbscript") == std::string::npos);
  CHECK(json->find("\"card\"") == std::string::npos);
  CHECK(json->find("https://x.com/SamuelSusla") != std::string::npos);
  const auto doc = boost::json::parse(*json).as_object();  // parses: valid JSON and UTF-8
  CHECK(doc.at("post").as_object().at("text") == "caf\xC3\xA9 \xEF\xBF\xBD");
  CHECK(doc.at("post").as_object().at("platform") == "PLATFORM_X");
  CHECK(doc.at("captured_at").is_string());
  // The original is untouched: ViewJson works on a copy.
  CHECK(c.post().url() == "javascript:alert(1)");
}

TEST_CASE("view json: a post's view carries its state word, counts and capture lines") {
  const proto::Capture c = testing::FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  proto::PostState state;
  state.set_current(proto::PostState::CURRENT_GONE);
  state.set_gone_kind(proto::Tombstone::KIND_SUSPENDED);
  *state.mutable_gone_since() = c.captured_at();
  state.set_capture_count(2);
  *state.mutable_latest_good() = c;
  proto::Capture gone;
  *gone.mutable_captured_at() = c.captured_at();
  gone.mutable_tombstone()->set_kind(proto::Tombstone::KIND_SUSPENDED);
  gone.set_http_status(200);
  const proto::PostView view = PostView("x/1641086480675225601", state, {c, gone});
  CHECK(view.state() == "suspended");
  REQUIRE(view.captures_size() == 2);
  CHECK(view.captures(0).state() == "post");
  CHECK(view.captures(1).state() == "suspended");
  auto json = ViewJson(view);
  REQUIRE(json);
  const auto doc = boost::json::parse(*json).as_object();
  CHECK(doc.at("key") == "x/1641086480675225601");
  CHECK(doc.at("capture_count") == 2);  // a JSON number
  CHECK(doc.at("captures").as_array().at(1).as_object().at("http_status") == 200);
  CHECK(doc.at("latest_good").as_object().contains("post"));
}

}  // namespace
}  // namespace stillpost::embed
