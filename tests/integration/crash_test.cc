// A writer killed with SIGKILL at a random moment loses nothing it reported as committed, and
// leaves nothing half-written: every capture in the store is whole, with its blobs and state.
#include <google/protobuf/util/message_differencer.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>

#include "archive/store.h"
#include "tests/support/sample.h"
#include "tests/support/temp_dir.h"

namespace stillpost::archive {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr int kRounds = 20;
constexpr int kPosts = 37;
constexpr UnixMicros kBase = 1700000000000000;
constexpr UnixMicros kRoundSpan = 1'000'000'000;  // each round's times are later than the last's

struct Planned {
  std::string key;
  proto::Capture capture;
  std::string blob;  // empty: none
};

// What the writer writes for step i of a round; the parent rebuilds it to compare.
Planned Plan(int round, int i) {
  const std::string id = std::to_string(i % kPosts + 1);
  const UnixMicros t = kBase + round * kRoundSpan + i;
  Planned p;
  p.key = "x/" + id;
  if (i % 5 == 1) {
    p.capture = testing::TombstoneCapture(id, t);
    return p;
  }
  p.capture = testing::SampleCapture(id, t, i);
  if (i % 4 == 0) {
    // Alternate blob-file-sized and SST-sized blobs.
    p.blob = testing::FakeMedia(round * 100000 + i, i % 8 == 0 ? 40 * 1024 : 3000);
    p.capture.mutable_post()->add_media()->set_blob(Sha256Hex(p.blob));
  }
  return p;
}

[[noreturn]] void Writer(const std::string& path, int round, int fd) {
  auto store = Store::Open(path, {});
  if (!store) {
    dprintf(fd, "ERR %s\n", store.error().ToString().c_str());
    _exit(1);
  }
  for (int i = 0;; ++i) {
    Planned p = Plan(round, i);
    std::vector<BlobWrite> blobs;
    if (!p.blob.empty()) blobs.push_back({p.blob, {}});
    auto r = (*store)->AddCapture(p.key, p.capture, blobs);
    if (!r) {
      dprintf(fd, "ERR %s\n", r.error().ToString().c_str());
      _exit(1);
    }
    dprintf(fd, "%d\n", i);  // one write(2) below PIPE_BUF: atomic
  }
}

// Every capture of every post is readable and whole; blobs exist and match their digests.
void CheckIntegrity(const Store& store) {
  auto keys = store.PostsByPlatform("x", 1000);
  REQUIRE_OK(keys);
  uint64_t captures = 0;
  for (const auto& key : *keys) {
    auto state = store.State(key);
    REQUIRE_OK(state);
    auto all = store.Captures(key);
    REQUIRE_OK(all);
    REQUIRE(all->size() == state->capture_count());
    captures += all->size();
    for (const auto& c : *all) {
      if (!c.has_post()) continue;
      for (const auto& m : c.post().media()) {
        auto blob = store.GetBlob(m.blob());
        REQUIRE_OK(blob);
        REQUIRE(Sha256Hex(blob->data()) == m.blob());
      }
    }
  }
  REQUIRE(store.Stats().posts == keys->size());
  REQUIRE(store.Stats().captures == captures);
}

TEST_CASE("crash: captures reported committed survive SIGKILL, 20 rounds, none partial") {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> kill_after_ms(20, 400);
  uint64_t total_reported = 0;

  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      Writer(path, round, fds[1]);
    }
    close(fds[1]);

    std::string received;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms(rng));
    char buf[4096];
    bool killed = false;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (!killed && left <= 0) {
        kill(pid, SIGKILL);
        killed = true;
      }
      pollfd pfd{fds[0], POLLIN, 0};
      poll(&pfd, 1, killed ? 1000 : static_cast<int>(std::max<long>(left, 0)));
      if (!(pfd.revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // the writer is gone and the pipe drained
      received.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    INFO("round " << round << ": " << received.substr(0, 200));
    REQUIRE(received.find("ERR") == std::string::npos);
    REQUIRE(WIFSIGNALED(status));

    std::vector<int> reported;
    std::istringstream lines(received);
    std::string line;
    while (std::getline(lines, line)) {
      if (!lines.eof()) reported.push_back(std::stoi(line));  // a cut last line does not count
    }
    total_reported += reported.size();

    auto store = Store::Open(path, {});
    REQUIRE_OK(store);
    for (int i : reported) {
      Planned p = Plan(round, i);
      auto got = (*store)->CaptureAt(p.key, kBase + round * kRoundSpan + i);
      REQUIRE_OK(got);
      REQUIRE(MessageDifferencer::Equals(*got, p.capture));
    }
    CheckIntegrity(**store);
  }
  INFO("captures reported over all rounds: " << total_reported);
  CHECK(total_reported > 0);
}

}  // namespace
}  // namespace stillpost::archive
