#include "archive/store.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "archive/provenance.h"
#include "archive/serving.h"
#include "proto/time.h"
#include "tests/support/sample.h"
#include "tests/support/temp_dir.h"

namespace stillpost::archive {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::FakeMedia;
using testing::SampleCapture;
using testing::TempDir;
using testing::TombstoneCapture;

constexpr UnixMicros kT0 = 1700000000000000;
constexpr UnixMicros kMinute = 60'000'000;

std::unique_ptr<Store> OpenOrDie(const std::string& path) {
  auto store = Store::Open(path, {});
  REQUIRE_OK(store);
  return std::move(store).value();
}

TEST_CASE("archive: a new store is empty and reopens") {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.Sub("db"));
    StoreStats s = store->Stats();
    CHECK(s.posts == 0);
    CHECK(s.captures == 0);
    CHECK(s.blobs == 0);
    CHECK(store->State("x/1").error().code() == StatusCode::kNotFound);
  }
  auto again = OpenOrDie(dir.Sub("db"));
  CHECK(again->Stats().posts == 0);
}

TEST_CASE("archive: a capture reads back whole, with its state and indexes") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  proto::Capture c = SampleCapture("20", kT0, 1);
  REQUIRE_OK(store->AddCapture("x/20", c));

  auto latest = store->LatestGood("x/20");
  REQUIRE_OK(latest);
  CHECK(MessageDifferencer::Equals(*latest, c));
  auto state = store->State("x/20");
  REQUIRE_OK(state);
  CHECK(state->current() == proto::PostState::CURRENT_LIVE);
  CHECK(state->capture_count() == 1);
  CHECK(state->first_seen().seconds() == kT0 / 1000000);
  auto at = store->CaptureAt("x/20", kT0);
  REQUIRE_OK(at);
  CHECK(MessageDifferencer::Equals(*at, c));
  CHECK(store->CaptureAt("x/20", kT0 + 1).error().code() == StatusCode::kNotFound);

  auto keys = store->PostsByPlatform("x", 10);
  REQUIRE_OK(keys);
  CHECK(*keys == std::vector<std::string>{"x/20"});
  auto recent = store->RecentCaptures(10);
  REQUIRE_OK(recent);
  REQUIRE(recent->size() == 1);
  CHECK((*recent)[0].key == "x/20");
  CHECK((*recent)[0].captured_at == kT0);
  CHECK(store->Stats().posts == 1);
  CHECK(store->Stats().captures == 1);
}

TEST_CASE("archive: a Bluesky capture remembers its handle's DID, the newest one winning") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  CHECK(store->DidOfHandle("alice.bsky.social").error().code() == StatusCode::kNotFound);
  auto bsky = [](const std::string& did, const std::string& rkey, UnixMicros at) {
    proto::Capture c = SampleCapture("1", at, 1);
    auto* p = c.mutable_post();
    p->set_platform(proto::PLATFORM_BLUESKY);
    p->set_key("bsky/" + did + "/" + rkey);
    p->mutable_author()->set_id(did);
    p->mutable_author()->set_handle("alice.bsky.social");
    c.set_handle_verified(true);
    return c;
  };
  // A capture whose handle was not resolved to its DID claims nothing.
  proto::Capture claim = bsky("did:plc:mallory", "3kzzz", kT0 - 1);
  claim.clear_handle_verified();
  REQUIRE_OK(store->AddCapture("bsky/did:plc:mallory/3kzzz", claim));
  CHECK(store->DidOfHandle("alice.bsky.social").error().code() == StatusCode::kNotFound);
  REQUIRE_OK(store->AddCapture("bsky/did:plc:old/3kaaa", bsky("did:plc:old", "3kaaa", kT0)));
  CHECK(*store->DidOfHandle("alice.bsky.social") == "did:plc:old");
  // The handle moved to another account; its newest capture says so.
  REQUIRE_OK(store->AddCapture("bsky/did:plc:new/3kbbb", bsky("did:plc:new", "3kbbb", kT0 + 1)));
  CHECK(*store->DidOfHandle("alice.bsky.social") == "did:plc:new");
  PostRef ref;
  ref.bsky_handle = "alice.bsky.social";
  ref.bsky_rkey = "3kbbb";
  CHECK(*KeyOfRef(*store, ref) == "bsky/did:plc:new/3kbbb");
  ref.bsky_handle = "bob.bsky.social";
  CHECK(KeyOfRef(*store, ref).error().message() == "no archived Bluesky post by bob.bsky.social");
  claim = bsky("did:plc:mallory", "3kzzy", kT0 + 2);
  claim.clear_handle_verified();
  REQUIRE_OK(store->AddCapture("bsky/did:plc:mallory/3kzzy", claim));
  CHECK(*store->DidOfHandle("alice.bsky.social") == "did:plc:new");
  // The time index is not disturbed by the handle entries.
  CHECK(store->RecentCaptures(10)->size() == 4);
}

TEST_CASE("archive: captures are append-only and kept in time order") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0 + 2 * kMinute, 3)));
  REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0 + 5 * kMinute, 4)));

  SECTION("the same time again is refused, and nothing changes") {
    auto again = store->AddCapture("x/20", SampleCapture("20", kT0 + 5 * kMinute, 99));
    CHECK(again.error().code() == StatusCode::kAlreadyExists);
    auto older = store->AddCapture("x/20", SampleCapture("20", kT0 + 2 * kMinute, 99));
    CHECK(older.error().code() == StatusCode::kAlreadyExists);
    CHECK(store->LatestGood("x/20")->post().counts().likes() == 12);
  }
  SECTION("an older capture than the newest is refused") {
    auto older = store->AddCapture("x/20", SampleCapture("20", kT0 + 3 * kMinute, 99));
    CHECK(older.error().code() == StatusCode::kFailedPrecondition);
    CHECK(store->Stats().captures == 2);
  }
  SECTION("all captures come back oldest first") {
    REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0 + 9 * kMinute, 5)));
    auto all = store->Captures("x/20");
    REQUIRE_OK(all);
    REQUIRE(all->size() == 3);
    CHECK((*all)[0].post().counts().likes() == 9);
    CHECK((*all)[1].post().counts().likes() == 12);
    CHECK((*all)[2].post().counts().likes() == 15);
    // Earlier captures are still readable one by one after newer ones replaced them as latest.
    CHECK(store->CaptureAt("x/20", kT0 + 2 * kMinute)->post().counts().likes() == 9);
  }
}

TEST_CASE("archive: a deleted post keeps its last good capture") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  const proto::Capture good = SampleCapture("20", kT0, 1);
  REQUIRE_OK(store->AddCapture("x/20", good));
  REQUIRE_OK(store->AddCapture("x/20", TombstoneCapture("20", kT0 + kMinute)));
  REQUIRE_OK(store->AddCapture("x/20", TombstoneCapture("20", kT0 + 2 * kMinute)));

  auto state = store->State("x/20");
  REQUIRE_OK(state);
  CHECK(state->current() == proto::PostState::CURRENT_GONE);
  CHECK(state->gone_kind() == proto::Tombstone::KIND_DELETED);
  // gone_since is the first tombstone of the streak, not the latest.
  CHECK(state->gone_since().seconds() == (kT0 + kMinute) / 1000000);
  auto latest = store->LatestGood("x/20");
  REQUIRE_OK(latest);
  CHECK(MessageDifferencer::Equals(*latest, good));
  auto all = store->Captures("x/20");
  REQUIRE_OK(all);
  REQUIRE(all->size() == 3);
  CHECK(all->at(0).has_post());
  CHECK(all->at(1).has_tombstone());
  CHECK(all->at(1).tombstone().upstream_text() == "This Post was deleted by the Post author.");

  SECTION("and comes back live when restored") {
    REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0 + 3 * kMinute, 2)));
    auto restored = store->State("x/20");
    CHECK(restored->current() == proto::PostState::CURRENT_LIVE);
    CHECK_FALSE(restored->has_gone_since());
    CHECK(store->Captures("x/20")->size() == 4);
  }
}

TEST_CASE("archive: a post only ever seen gone has no latest good capture") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  REQUIRE_OK(
      store->AddCapture("x/404", TombstoneCapture("404", kT0, proto::Tombstone::KIND_NOT_FOUND)));
  CHECK(store->LatestGood("x/404").error().code() == StatusCode::kNotFound);
  CHECK(store->State("x/404")->current() == proto::PostState::CURRENT_GONE);
}

TEST_CASE("archive: blobs are stored once by SHA-256 and read back") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  const std::string big = FakeMedia(1, 300 * 1024);  // goes to a blob file
  const std::string small = FakeMedia(2, 1000);      // stays in the SST
  const std::string big_sha = Sha256Hex(big);
  proto::Capture c = SampleCapture("20", kT0, 1);
  c.mutable_post()->add_media()->set_blob(big_sha);
  c.mutable_post()->mutable_author()->set_avatar_blob(Sha256Hex(small));
  std::vector<BlobWrite> blobs(2);
  blobs[0].data = big;
  blobs[0].meta.set_mime("video/mp4");
  blobs[0].meta.add_original_urls("https://video.twimg.com/a.mp4");
  blobs[1].data = small;
  auto added = store->AddCapture("x/20", c, blobs);
  REQUIRE_OK(added);
  CHECK(added->blobs_written == 2);
  CHECK(added->blob_bytes_written == big.size() + small.size());

  // The same media with the next capture (and in another post) is not written again.
  proto::Capture c2 = SampleCapture("21", kT0 + 1, 1);
  c2.mutable_post()->add_media()->set_blob(big_sha);
  auto again = store->AddCapture("x/21", c2, blobs);
  REQUIRE_OK(again);
  CHECK(again->blobs_written == 0);
  CHECK(store->Stats().blobs == 2);
  CHECK(store->Stats().blob_bytes == big.size() + small.size());

  auto blob = store->GetBlob(big_sha);
  REQUIRE_OK(blob);
  CHECK(blob->data() == big);
  auto meta = store->GetBlobMeta(big_sha);
  REQUIRE_OK(meta);
  CHECK(meta->size() == big.size());
  CHECK(meta->mime() == "video/mp4");
  CHECK(meta->first_fetched().seconds() == kT0 / 1000000);
  CHECK(store->GetBlob(Sha256Hex("nope")).error().code() == StatusCode::kNotFound);
  CHECK(store->GetBlob("../../etc").error().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("archive: bad captures are refused and change nothing") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  proto::Capture c = SampleCapture("20", kT0, 1);

  SECTION("a malformed key") {
    CHECK(store->AddCapture("x/abc", c).error().code() == StatusCode::kInvalidArgument);
  }
  SECTION("no time") {
    c.clear_captured_at();
    CHECK(store->AddCapture("x/20", c).error().code() == StatusCode::kInvalidArgument);
  }
  SECTION("no outcome") {
    c.clear_post();
    CHECK(store->AddCapture("x/20", c).error().code() == StatusCode::kInvalidArgument);
  }
  SECTION("a blob whose digest is wrong") {
    std::vector<BlobWrite> blobs(1);
    blobs[0].data = "bytes";
    blobs[0].meta.set_sha256(Sha256Hex("other bytes"));
    CHECK(store->AddCapture("x/20", c, blobs).error().code() == StatusCode::kInvalidArgument);
  }
  SECTION("a reference to a blob that is not there") {
    c.mutable_post()->add_media()->set_blob(Sha256Hex("missing"));
    auto r = store->AddCapture("x/20", c);
    CHECK(r.error().code() == StatusCode::kInvalidArgument);
    CHECK(r.error().message().find("neither given nor stored") != std::string::npos);
  }
  SECTION("one bad capture in a batch fails the batch") {
    std::vector<CaptureWrite> batch(2);
    batch[0].key = "x/20";
    batch[0].capture = c;
    batch[1].key = "x/21";
    batch[1].capture = SampleCapture("21", kT0, 1);
    batch[1].capture.clear_post();
    CHECK_FALSE(store->AddCaptures(batch).has_value());
  }
  CHECK(store->Stats().captures == 0);
  CHECK(store->State("x/20").error().code() == StatusCode::kNotFound);
}

TEST_CASE("archive: a batch writes several captures of one post atomically") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  std::vector<CaptureWrite> batch(3);
  batch[0] = {"x/20", SampleCapture("20", kT0, 1), {}};
  batch[1] = {"x/20", SampleCapture("20", kT0 + 1, 2), {}};
  batch[2] = {"x/20", TombstoneCapture("20", kT0 + 2), {}};
  REQUIRE_OK(store->AddCaptures(batch));
  auto all = store->Captures("x/20");
  REQUIRE_OK(all);
  REQUIRE(all->size() == 3);
  CHECK(all->at(0).post().counts().likes() == 3);
  CHECK(all->at(1).post().counts().likes() == 6);
  CHECK(store->LatestGood("x/20")->post().counts().likes() == 6);
  CHECK(store->Stats().posts == 1);
}

TEST_CASE("archive: data survives reopening, counters included") {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto store = OpenOrDie(path);
    REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0, 1)));
    REQUIRE_OK(store->AddCapture("x/20", TombstoneCapture("20", kT0 + 1)));
    proto::Article a;
    a.set_url("https://news.example/a");
    a.set_title("A");
    a.add_post_keys("x/20");
    REQUIRE_OK(store->PutArticle(a));
  }
  auto store = OpenOrDie(path);
  CHECK(store->Captures("x/20")->size() == 2);
  CHECK(store->GetArticle("https://news.example/a")->post_keys(0) == "x/20");
  const StoreStats s = store->Stats();
  CHECK(s.posts == 1);
  CHECK(s.captures == 2);
  CHECK(s.articles == 1);
  CHECK(s.disk_bytes > 0);
}

TEST_CASE("archive: the articles that embed a post, with when a scan first found it there") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  proto::Article a;
  a.set_url("https://news.example/a");
  a.add_post_keys("x/20");
  a.add_post_keys("x/21");
  *a.mutable_scanned_at() = proto::TimestampOf(kT0);
  REQUIRE_OK(store->PutArticle(a));
  proto::Article b;
  b.set_url("https://news.example/b");
  b.add_post_keys("x/20");
  *b.mutable_scanned_at() = proto::TimestampOf(kT0 + 5);
  REQUIRE_OK(store->PutArticle(b));
  auto of = store->ArticlesOf("x/20");
  REQUIRE_OK(of);
  REQUIRE(of->size() == 2);
  CHECK((*of)[0].url == "https://news.example/a");
  CHECK((*of)[0].first_seen == kT0);
  CHECK((*of)[1].first_seen == kT0 + 5);
  // A rescan keeps the first time for posts still there and forgets the ones gone from it.
  a.clear_post_keys();
  a.add_post_keys("x/20");
  *a.mutable_scanned_at() = proto::TimestampOf(kT0 + 100);
  REQUIRE_OK(store->PutArticle(a));
  CHECK(store->ArticlesOf("x/20")->at(0).first_seen == kT0);
  CHECK(store->ArticlesOf("x/21")->empty());
  CHECK(store->ArticlesOf("x/22")->empty());
}

TEST_CASE("archive: posts by platform page through in key order") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  for (int i = 1; i <= 5; ++i) {
    const std::string id = std::to_string(i);
    REQUIRE_OK(store->AddCapture("x/" + id, SampleCapture(id, kT0 + i, i)));
  }
  proto::Capture m = SampleCapture("1", kT0 + 10, 1);
  REQUIRE_OK(store->AddCapture("mastodon/mastodon.social/1", m));
  auto first = store->PostsByPlatform("x", 2);
  REQUIRE_OK(first);
  CHECK(*first == std::vector<std::string>{"x/1", "x/2"});
  auto next = store->PostsByPlatform("x", 10, "x/2");
  CHECK(*next == std::vector<std::string>{"x/3", "x/4", "x/5"});
  CHECK(store->PostsByPlatform("mastodon", 10)->size() == 1);
  auto recent = store->RecentCaptures(3);
  REQUIRE(recent->size() == 3);
  CHECK(recent->at(0).key == "mastodon/mastodon.social/1");
  CHECK(recent->at(1).key == "x/5");
  auto before = store->RecentCaptures(10, kT0 + 3);
  REQUIRE(before->size() == 2);
  CHECK(before->at(0).key == "x/2");
}

TEST_CASE("archive: bad paths get one clear error each") {
  TempDir dir;
  SECTION("a regular file") {
    const std::string file = dir.Sub("file");
    std::ofstream(file) << "hello";
    auto s = Store::Open(file, {});
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code() == StatusCode::kInvalidArgument);
    CHECK(s.error().message() == "not a stillpost store: " + file + " is not a directory");
  }
  SECTION("a directory with other files") {
    std::filesystem::create_directories(dir.Sub("other"));
    std::ofstream(dir.Sub("other/notes.txt")) << "mine";
    auto s = Store::Open(dir.Sub("other"), {});
    CHECK(s.error().code() == StatusCode::kInvalidArgument);
    CHECK(std::filesystem::exists(dir.Sub("other/notes.txt")));
  }
  SECTION("nothing there, and not allowed to create") {
    StoreOptions o;
    o.create_if_missing = false;
    CHECK(Store::Open(dir.Sub("none"), o).error().code() == StatusCode::kNotFound);
    CHECK_FALSE(std::filesystem::exists(dir.Sub("none")));
  }
  SECTION("a store already open") {
    auto first = OpenOrDie(dir.Sub("db"));
    auto second = Store::Open(dir.Sub("db"), {});
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code() == StatusCode::kUnavailable);
    CHECK(second.error().message() == "store " + dir.Sub("db") + " is in use by another process");
  }
  SECTION("a corrupt store") {
    const std::string path = dir.Sub("db");
    { auto store = OpenOrDie(path); }
    // Clobber the manifest that CURRENT points to.
    std::string manifest;
    std::ifstream(path + "/CURRENT") >> manifest;
    std::ofstream(path + "/" + manifest, std::ios::trunc) << "garbage garbage garbage";
    auto s = Store::Open(path, {});
    REQUIRE_FALSE(s.has_value());
    INFO(s.error().ToString());
    CHECK((s.error().code() == StatusCode::kDataLoss));
  }
}

TEST_CASE("archive: readers see each capture whole while a writer runs") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0, 0)));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= 200; ++i) {
      auto c = i % 3 == 0 ? TombstoneCapture("20", kT0 + i) : SampleCapture("20", kT0 + i, i);
      if (!store->AddCapture("x/20", c).has_value()) break;
    }
    done = true;
  });
  size_t checks = 0;
  while (!done) {
    auto all = store->Captures("x/20");
    REQUIRE_OK(all);
    for (size_t i = 1; i < all->size(); ++i) {
      REQUIRE(all->at(i - 1).captured_at().nanos() < all->at(i).captured_at().nanos());
    }
    auto state = store->State("x/20");
    REQUIRE_OK(state);
    REQUIRE(state->has_latest_good());
    ++checks;
  }
  writer.join();
  CHECK(store->Captures("x/20")->size() == 201);
  CHECK(checks > 0);
}

}  // namespace
}  // namespace stillpost::archive

namespace stillpost::archive {
namespace {

TEST_CASE("archive: captures written before and after the record dictionary read back whole") {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  constexpr int kPosts = 4100;  // the dictionary is trained at 4000 posts
  {
    auto store = Store::Open(path, {});
    REQUIRE_OK(store);
    std::vector<CaptureWrite> batch;
    for (int i = 1; i <= kPosts; ++i) {
      const std::string id = std::to_string(i);
      batch.push_back({"x/" + id, testing::SampleCapture(id, 1700000000000000 + i, i), {}});
      if (batch.size() == 100) {
        REQUIRE_OK((*store)->AddCaptures(batch));
        batch.clear();
      }
    }
    // A second capture of an early post moves its first (pre-dictionary) record to history.
    REQUIRE_OK((*store)->AddCapture("x/1", testing::SampleCapture("1", 1800000000000000, 99)));
  }
  auto store = Store::Open(path, {});
  REQUIRE_OK(store);
  for (int i : {1, 2, 3999, 4000, 4001, kPosts}) {
    const std::string id = std::to_string(i);
    auto latest = (*store)->LatestGood("x/" + id);
    REQUIRE_OK(latest);
    CHECK(latest->post().text() == testing::SamplePost(id, i == 1 ? 99 : i).text());
  }
  auto history = (*store)->Captures("x/1");
  REQUIRE_OK(history);
  REQUIRE(history->size() == 2);
  CHECK(history->at(0).post().counts().likes() == 3);
  CHECK(history->at(1).post().counts().likes() == 297);
  CHECK((*store)->Stats().posts == kPosts);
  CHECK((*store)->Stats().record_dictionary == 1);
}

}  // namespace
}  // namespace stillpost::archive

namespace stillpost::archive {
namespace {

TEST_CASE("archive: the serving read gives the state and the latest capture from one read") {
  testing::TempDir dir;
  auto store = Store::Open(dir.Sub("db"), {});
  REQUIRE_OK(store);
  const proto::Capture c = testing::SampleCapture("20", 1700000000000000, 1);
  REQUIRE_OK((*store)->AddCapture("x/20", c));
  REQUIRE_OK((*store)->AddCapture("x/20", testing::TombstoneCapture("20", 1700000000000001)));
  auto served = archive::ServingReader(**store).StateForServing("x/20");
  REQUIRE_OK(served);
  CHECK(served->state.key() == "x/20");
  CHECK(served->state.current() == proto::PostState::CURRENT_GONE);
  CHECK_FALSE(served->state.has_latest_good());
  CHECK(served->state.latest_good_at().seconds() == 1700000000);
  auto latest = archive::ServingReader(**store).DecodeLatest(*served);
  REQUIRE_OK(latest);
  CHECK(google::protobuf::util::MessageDifferencer::Equals(*latest, c));

  REQUIRE_OK((*store)->AddCapture("x/404", testing::TombstoneCapture("404", 1700000000000000)));
  auto gone = archive::ServingReader(**store).StateForServing("x/404");
  REQUIRE_OK(gone);
  CHECK(archive::ServingReader(**store).DecodeLatest(*gone).error().code() ==
        StatusCode::kNotFound);
  CHECK(archive::ServingReader(**store).StateForServing("x/1").error().code() ==
        StatusCode::kNotFound);
}

}  // namespace
}  // namespace stillpost::archive

namespace stillpost::archive {
namespace {

TEST_CASE("archive: a large blob is stored in pieces, a range reads only what it needs") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  std::string video(kBlobChunkBytes * 3 + 12345, '\0');
  for (size_t i = 0; i < video.size(); ++i) video[i] = static_cast<char>((i * 131) >> 7);
  const std::string sha = Sha256Hex(video);
  proto::Capture c = SampleCapture("1", kT0, 1);
  c.mutable_post()->clear_media();
  c.mutable_post()->add_media()->set_blob(sha);
  proto::BlobMeta meta;
  meta.set_mime("video/mp4");
  std::vector<BlobWrite> blobs = {{video, meta}};
  REQUIRE_OK(store->AddCapture("x/1", c, blobs));
  auto stored = store->GetBlobMeta(sha);
  REQUIRE_OK(stored);
  CHECK(stored->chunk_bytes() == kBlobChunkBytes);
  CHECK(stored->size() == video.size());
  auto whole = store->GetBlob(sha);
  REQUIRE_OK(whole);
  CHECK(whole->data() == video);
  for (auto [at, n] :
       std::vector<std::pair<uint64_t, size_t>>{{0, 1},
                                                {kBlobChunkBytes - 3, 10},
                                                {kBlobChunkBytes * 2 + 5, kBlobChunkBytes + 100},
                                                {video.size() - 7, 7},
                                                {0, video.size()}}) {
    auto part = store->ReadBlobRange(sha, at, n);
    REQUIRE_OK(part);
    CHECK(*part == video.substr(at, n));
  }
  CHECK(store->ReadBlobRange(sha, video.size() - 1, 2).error().code() ==
        StatusCode::kInvalidArgument);
  // A small blob stays one value, and ranges of it read the same way.
  const std::string little = "small bytes";
  proto::Capture d = SampleCapture("2", kT0, 2);
  d.mutable_post()->clear_media();
  d.mutable_post()->add_media()->set_blob(Sha256Hex(little));
  std::vector<BlobWrite> small = {{little, {}}};
  REQUIRE_OK(store->AddCapture("x/2", d, small));
  CHECK(store->GetBlobMeta(Sha256Hex(little))->chunk_bytes() == 0);
  CHECK(*store->ReadBlobRange(Sha256Hex(little), 6, 5) == "bytes");
}

}  // namespace
}  // namespace stillpost::archive

namespace stillpost::archive {
namespace {

TEST_CASE("archive: a creation cut short (RocksDB's first files, no CURRENT) is finished on open") {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("db"));
  for (const char* f : {"LOCK", "IDENTITY", "LOG", "MANIFEST-000001"}) {
    std::ofstream(dir.Sub("db") + "/" + f) << "";
  }
  auto store = Store::Open(dir.Sub("db"), {});
  REQUIRE_OK(store);
  REQUIRE_OK((*store)->AddCapture("x/1", SampleCapture("1", kT0, 1)));
  // Anything else in a directory without CURRENT is not ours to take over.
  std::filesystem::create_directories(dir.Sub("other"));
  std::ofstream(dir.Sub("other/notes.txt")) << "mine";
  CHECK(Store::Open(dir.Sub("other"), {}).error().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stillpost::archive

namespace stillpost::archive {
namespace {

TEST_CASE("archive: Close() reports, and every call after it fails cleanly") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0, 3)));
  REQUIRE(store->Close().ok());
  CHECK(store->Close().ok());  // twice is fine
  CHECK(store->LatestGood("x/20").error().code() == StatusCode::kFailedPrecondition);
  CHECK(store->State("x/20").error().code() == StatusCode::kFailedPrecondition);
  CHECK(ServingReader(*store).StateForServing("x/20").error().code() ==
        StatusCode::kFailedPrecondition);
  CHECK(store->AddCapture("x/20", SampleCapture("20", kT0 + kMinute, 4)).error().code() ==
        StatusCode::kFailedPrecondition);
  CHECK_FALSE(store->HasBlob(std::string(64, 'a')));
  CHECK_FALSE(store->CheckReadable().ok());
  store.reset();
  // Closed cleanly: the store opens again with what was written.
  auto again = OpenOrDie(dir.Sub("db"));
  CHECK(again->LatestGood("x/20")->post().counts().likes() > 0);
}

}  // namespace
}  // namespace stillpost::archive

namespace stillpost::archive {
namespace {

TEST_CASE("archive: every capture gets a signed manifest, chained to the post's previous one") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0, 1)));
  REQUIRE_OK(store->AddCapture("x/20", TombstoneCapture("20", kT0 + kMinute)));
  auto keys = store->SigningKeys();
  REQUIRE_OK(keys);
  REQUIRE(keys->size() == 1);
  CHECK(keys->front().private_pkcs8().empty());  // never handed out
  auto first = store->Manifest("x/20", kT0);
  auto second = store->Manifest("x/20", kT0 + kMinute);
  REQUIRE_OK(first);
  REQUIRE_OK(second);
  CHECK(first->key_id() == keys->front().id());
  CHECK(*VerifyManifest(*first, keys->front()));
  CHECK(*VerifyManifest(*second, keys->front()));
  CHECK(first->manifest().find("\"previous\":null") != std::string::npos);
  CHECK(second->manifest().find("\"previous\":\"" + first->digest() + "\"") != std::string::npos);
  CHECK(second->manifest().find("\"outcome\":\"gone: deleted\"") != std::string::npos);
  CHECK(store->State("x/20")->manifest_digest() == second->digest());
  // A changed manifest no longer matches its digest; a changed digest, its signature.
  proto::SignedManifest forged = *first;
  forged.set_manifest(forged.manifest() + " ");
  CHECK_FALSE(*VerifyManifest(forged, keys->front()));
  forged = *first;
  forged.set_digest(second->digest());
  forged.set_manifest(second->manifest());
  CHECK_FALSE(*VerifyManifest(forged, keys->front()));
  CHECK(store->Manifest("x/20", kT0 + 1).error().code() == StatusCode::kNotFound);
}

TEST_CASE("archive: a rotated key signs from then on and the old one stays listed, retired") {
  TempDir dir;
  std::string old_id, new_id;
  {
    auto store = OpenOrDie(dir.Sub("db"));
    REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0, 1)));
    auto rotated = store->RotateSigningKey();
    REQUIRE_OK(rotated);
    new_id = rotated->id();
    REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0 + kMinute, 2)));
    old_id = store->Manifest("x/20", kT0)->key_id();
    CHECK(old_id != new_id);
    CHECK(store->Manifest("x/20", kT0 + kMinute)->key_id() == new_id);
  }
  auto store = OpenOrDie(dir.Sub("db"));  // the newest key is still the one in use
  REQUIRE_OK(store->AddCapture("x/20", SampleCapture("20", kT0 + 2 * kMinute, 3)));
  CHECK(store->Manifest("x/20", kT0 + 2 * kMinute)->key_id() == new_id);
  auto keys = store->SigningKeys();
  REQUIRE(keys->size() == 2);
  CHECK(keys->at(0).id() == old_id);
  CHECK(keys->at(0).has_valid_until());
  CHECK_FALSE(keys->at(1).has_valid_until());
  auto signed_digest = store->SignDigest("sha256:00");
  REQUIRE_OK(signed_digest);
  CHECK(signed_digest->key.id() == new_id);
}

}  // namespace
}  // namespace stillpost::archive

namespace stillpost::archive {
namespace {

TEST_CASE("archive: manifests signed ahead in a large batch chain as those signed under the lock") {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("db"));
  REQUIRE_OK(store->AddCapture("x/1", SampleCapture("1", kT0, 1)));
  std::vector<CaptureWrite> batch;
  for (int i = 1; i <= 40; ++i) {  // over the parallel-prepare threshold
    const std::string id = std::to_string(i);
    batch.push_back({"x/" + id, SampleCapture(id, kT0 + kMinute, i), {}});
  }
  batch.push_back({"x/2", SampleCapture("2", kT0 + 2 * kMinute, 2), {}});  // x/2 twice: in order
  REQUIRE_OK(store->AddCaptures(batch));
  auto keys = store->SigningKeys();
  REQUIRE_OK(keys);
  for (int i = 1; i <= 40; ++i) {
    const std::string key = "x/" + std::to_string(i);
    auto m = store->Manifest(key, kT0 + kMinute);
    REQUIRE_OK(m);
    CHECK(*VerifyManifest(*m, keys->front()));
    const std::string previous =
        i == 1 ? "\"previous\":\"" + store->Manifest(key, kT0)->digest() + "\""
               : "\"previous\":null";
    CHECK(m->manifest().find(previous) != std::string::npos);
  }
  auto second = store->Manifest("x/2", kT0 + 2 * kMinute);
  REQUIRE_OK(second);
  CHECK(*VerifyManifest(*second, keys->front()));
  CHECK(second->manifest().find("\"previous\":\"" +
                                store->Manifest("x/2", kT0 + kMinute)->digest() + "\"") !=
        std::string::npos);
  CHECK(store->State("x/2")->manifest_digest() == second->digest());
}

}  // namespace
}  // namespace stillpost::archive
