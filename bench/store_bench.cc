// store_bench: the archive against a bare RocksDB (default options + zstd, one key per capture),
// on the same synthetic data in the same run. Prints ingest rate, bytes on disk, warm lookup
// rates on 1 and 2 threads, p99 latency, and our/bare ratios.
//   store_bench [--posts N] [--dir DIR] [--batch B] [--lookups L] [--keep]
#include <google/protobuf/util/time_util.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "archive/store.h"
#include "common/sha256.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using stillpost::proto::Capture;

constexpr size_t kTextBytes = 1500;        // "~1.5 KB of realistic post text"
constexpr size_t kBlobBytes = 100 * 1024;  // one ~100 KB photo per 100 posts
constexpr int kPostsPerBlob = 100;
constexpr int kAuthors = 50000;
constexpr int64_t kBaseMicros = 1700000000000000;

struct Args {
  long posts = 1'000'000;
  std::string dir = "/tmp/stillpost-store-bench";
  int batch = 100;
  long lookups = 400'000;
  bool keep = false;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "store_bench: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--posts") {
      a.posts = std::stol(next());
    } else if (arg == "--dir") {
      a.dir = next();
    } else if (arg == "--batch") {
      a.batch = std::stoi(next());
    } else if (arg == "--lookups") {
      a.lookups = std::stol(next());
    } else if (arg == "--keep") {
      a.keep = true;
    } else {
      std::fprintf(stderr,
                   "store_bench: unknown argument '%s' (accepted: --posts N, --dir DIR, "
                   "--batch B, --lookups L, --keep)\n",
                   arg.c_str());
      std::exit(2);
    }
  }
  return a;
}

// Text that compresses like posts do: Zipf-distributed words from a vocabulary of common English
// words and a long tail of made-up ones, with mentions, hashtags, t.co links and emoji.
class TextGen {
 public:
  explicit TextGen(uint32_t seed) : rng_(seed) {
    static const char* kCommon[] = {
        "the",       "of",       "and",        "to",       "a",        "in",        "is",
        "that",      "for",      "it",         "on",       "was",      "with",      "he",
        "as",        "you",      "at",         "be",       "this",     "have",      "from",
        "or",        "one",      "had",        "by",       "but",      "not",       "what",
        "all",       "were",     "we",         "when",     "your",     "can",       "said",
        "there",     "an",       "each",       "which",    "she",      "do",        "how",
        "their",     "if",       "will",       "up",       "other",    "about",     "out",
        "many",      "then",     "them",       "these",    "so",       "some",      "her",
        "would",     "make",     "like",       "him",      "into",     "time",      "has",
        "look",      "two",      "more",       "go",       "see",      "number",    "no",
        "way",       "could",    "people",     "my",       "than",     "first",     "been",
        "call",      "who",      "its",        "now",      "find",     "long",      "down",
        "day",       "did",      "get",        "come",     "made",     "may",       "part",
        "summit",    "today",    "meeting",    "press",    "breaking", "news",      "video",
        "live",      "world",    "leaders",    "talks",    "report",   "officials", "statement",
        "president", "minister", "government", "election", "police",   "city",      "week",
        "year",      "thread",   "update",     "photo"};
    static const char* kSyllables[] = {"ka",  "lo", "mi", "ren", "tu",  "sa",  "vor", "el",  "qui",
                                       "dan", "po", "ri", "zen", "bel", "tor", "na",  "shi", "gar"};
    for (const char* w : kCommon) words_.emplace_back(w);
    std::uniform_int_distribution<int> syl(0, static_cast<int>(std::size(kSyllables)) - 1);
    std::uniform_int_distribution<int> len(2, 4);
    for (int i = 0; i < 8000; ++i) {
      std::string w;
      for (int n = len(rng_); n > 0; --n) w += kSyllables[syl(rng_)];
      words_.push_back(std::move(w));
    }
    // Zipf(1) over the vocabulary, as a cumulative table.
    double total = 0;
    for (size_t r = 1; r <= words_.size(); ++r) total += 1.0 / static_cast<double>(r);
    double acc = 0;
    for (size_t r = 1; r <= words_.size(); ++r) {
      acc += 1.0 / static_cast<double>(r) / total;
      cdf_.push_back(acc);
    }
  }

  std::string Text(size_t bytes) {
    static const char* kEmoji[] = {"\xF0\x9F\x93\xB0", "\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8",
                                   "\xF0\x9F\x98\x84", "\xE2\x9C\xA8", "\xF0\x9F\xA7\xB5"};
    std::uniform_real_distribution<double> u(0, 1);
    std::uniform_int_distribution<int> alnum(0, 61);
    static const char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    out.reserve(bytes + 32);
    bool sentence_start = true;
    while (out.size() < bytes) {
      double p = u(rng_);
      if (p < 0.015) {
        out += "@" + Word() + "_" + Word();
      } else if (p < 0.03) {
        out += "#" + Word();
      } else if (p < 0.037) {
        out += "https://t.co/";
        for (int i = 0; i < 10; ++i) out += kAlnum[alnum(rng_)];
      } else if (p < 0.045) {
        out += kEmoji[static_cast<size_t>(u(rng_) * std::size(kEmoji)) % std::size(kEmoji)];
      } else {
        std::string w = Word();
        if (sentence_start)
          w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
        out += w;
        sentence_start = false;
        if (u(rng_) < 0.08) {
          out += u(rng_) < 0.7 ? "." : (u(rng_) < 0.5 ? "!" : "?");
          sentence_start = true;
        } else if (u(rng_) < 0.06) {
          out += ",";
        }
      }
      out += ' ';
    }
    out.pop_back();
    return out;
  }

  std::string Word() {
    double p = std::uniform_real_distribution<double>(0, 1)(rng_);
    size_t i = static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), p) - cdf_.begin());
    return words_[std::min(i, words_.size() - 1)];
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
  std::vector<std::string> words_;
  std::vector<double> cdf_;
};

std::string PostId(long i) { return std::to_string(1400000000000000000L + i * 7919); }

Capture MakeCapture(TextGen& gen, long i, const std::string& blob_sha) {
  using google::protobuf::util::TimeUtil;
  const std::string id = PostId(i);
  const int author = static_cast<int>(static_cast<unsigned long>(i) * 2654435761UL % kAuthors);
  Capture c;
  *c.mutable_captured_at() = TimeUtil::MicrosecondsToTimestamp(kBaseMicros + i * 1000);
  c.set_source_url("https://cdn.syndication.twimg.com/tweet-result?id=" + id);
  c.set_http_status(200);
  c.set_fetcher_version("0.1.0");
  auto* p = c.mutable_post();
  p->set_platform(stillpost::proto::PLATFORM_X);
  p->set_id(id);
  p->set_key("x/" + id);
  p->set_url("https://x.com/user" + std::to_string(author) + "/status/" + id);
  p->mutable_author()->set_id(std::to_string(100000 + author));
  p->mutable_author()->set_handle("user" + std::to_string(author));
  p->mutable_author()->set_display_name(gen.Word() + " " + gen.Word());
  p->mutable_author()->set_avatar_url("https://pbs.twimg.com/profile_images/" +
                                      std::to_string(author) + "/avatar_normal.jpg");
  *p->mutable_created_at() = TimeUtil::MicrosecondsToTimestamp(kBaseMicros - i * 977);
  p->set_text(gen.Text(kTextBytes));
  auto* e = p->add_entities();
  e->set_kind(stillpost::proto::Entity::KIND_HASHTAG);
  e->set_start(10);
  e->set_end(17);
  e->set_target_id(gen.Word());
  p->set_lang("en");
  p->mutable_counts()->set_likes(static_cast<uint64_t>(i % 5000));
  p->mutable_counts()->set_replies(static_cast<uint64_t>(i % 97));
  p->mutable_counts()->set_reposts(static_cast<uint64_t>(i % 311));
  if (!blob_sha.empty()) {
    auto* m = p->add_media();
    m->set_kind(stillpost::proto::Media::KIND_PHOTO);
    m->set_blob(blob_sha);
    m->set_mime("image/jpeg");
    m->set_width(1200);
    m->set_height(800);
    m->set_original_url("https://pbs.twimg.com/media/" + id + "?format=jpg&name=orig");
  }
  return c;
}

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 4) {
    uint32_t v = static_cast<uint32_t>(rng());
    std::memcpy(&s[i], &v, std::min<size_t>(4, n - i));
  }
  return s;
}

uint64_t DirBytes(const std::string& path, const char* only_ext = nullptr, bool exclude = false) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(path)) {
    if (!e.is_regular_file()) continue;
    const bool match = only_ext != nullptr && e.path().extension() == only_ext;
    if (only_ext != nullptr && match == exclude) continue;
    total += e.file_size();
  }
  return total;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct LookupResult {
  double per_second = 0;
  double p99_us = 0;
  double p50_us = 0;
};

// Runs `lookup(i)` on `threads` threads over random post indexes; returns throughput and
// latency percentiles.
template <typename F>
LookupResult Lookups(long posts, long count, int threads, F lookup) {
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  std::atomic<bool> go{false};
  const auto per_thread = count / threads;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7 + 1);
      std::uniform_int_distribution<long> pick(0, posts - 1);
      auto& mine = lat[static_cast<size_t>(t)];
      mine.reserve(static_cast<size_t>(per_thread));
      while (!go) std::this_thread::yield();
      for (long n = 0; n < per_thread; ++n) {
        const long i = pick(rng);
        const auto t0 = Clock::now();
        lookup(i);
        mine.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
      }
    });
  }
  const auto start = Clock::now();
  go = true;
  for (auto& th : pool) th.join();
  const double secs = Seconds(Clock::now() - start);
  std::vector<uint32_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  LookupResult r;
  r.per_second = static_cast<double>(all.size()) / secs;
  r.p99_us = all.empty() ? 0 : all[all.size() * 99 / 100] / 1000.0;
  r.p50_us = all.empty() ? 0 : all[all.size() / 2] / 1000.0;
  return r;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "store_bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const std::string ours_dir = args.dir + "/stillpost";
  const std::string bare_dir = args.dir + "/bare";
  fs::remove_all(args.dir);
  fs::create_directories(args.dir);
  std::printf("store_bench: %ld posts, ~%zu B text each, %ld blobs of %zu KB, batches of %d\n",
              args.posts, kTextBytes, args.posts / kPostsPerBlob, kBlobBytes / 1024, args.batch);

  // The same data for both: generated once per batch, written to both stores.
  auto store_or = stillpost::archive::Store::Open(ours_dir, {});
  if (!store_or) Die(store_or.error().ToString());
  auto store = std::move(store_or).value();

  rocksdb::Options bare_opts;
  bare_opts.create_if_missing = true;
  bare_opts.compression = rocksdb::kZSTD;
  rocksdb::DB* bare_raw = nullptr;
  if (auto s = rocksdb::DB::Open(bare_opts, bare_dir, &bare_raw); !s.ok()) Die(s.ToString());
  std::unique_ptr<rocksdb::DB> bare(bare_raw);

  // The same data for both: generated from the same seed, written first to ours, then to the
  // bare store, so neither's compactions run during the other's ingest (they share the
  // process's background threads). Generation is not timed.
  uint64_t text_bytes = 0;
  std::vector<std::string> bare_keys;
  bare_keys.reserve(static_cast<size_t>(args.posts));
  double ours_secs = 0;
  double bare_secs = 0;
  auto generate = [&](TextGen& gen, long start, long end, std::vector<std::string>& blob_data) {
    std::vector<stillpost::archive::CaptureWrite> writes;
    for (long i = start; i < end; ++i) {
      std::string sha;
      if (i % kPostsPerBlob == 0) {
        blob_data.push_back(RandomBytes(gen.rng(), kBlobBytes));
        sha = stillpost::Sha256Hex(blob_data.back());
      }
      stillpost::archive::CaptureWrite w;
      w.capture = MakeCapture(gen, i, sha);
      w.key = w.capture.post().key();
      if (!sha.empty()) {
        stillpost::archive::BlobWrite b;
        b.data = blob_data.back();
        b.meta.set_sha256(sha);
        b.meta.set_mime("image/jpeg");
        w.blobs.push_back(std::move(b));
      }
      writes.push_back(std::move(w));
    }
    return writes;
  };
  {
    TextGen gen(42);
    for (long start = 0; start < args.posts; start += args.batch) {
      std::vector<std::string> blob_data;
      blob_data.reserve(static_cast<size_t>(args.batch / kPostsPerBlob + 1));
      auto writes = generate(gen, start, std::min<long>(args.posts, start + args.batch), blob_data);
      for (const auto& w : writes) text_bytes += w.capture.post().text().size();
      const auto t0 = Clock::now();
      if (auto r = store->AddCaptures(writes); !r) Die(r.error().ToString());
      ours_secs += Seconds(Clock::now() - t0);
    }
  }
  {
    TextGen gen(42);
    std::string value;
    for (long start = 0; start < args.posts; start += args.batch) {
      std::vector<std::string> blob_data;
      blob_data.reserve(static_cast<size_t>(args.batch / kPostsPerBlob + 1));
      auto writes = generate(gen, start, std::min<long>(args.posts, start + args.batch), blob_data);
      rocksdb::WriteBatch batch;
      for (const auto& w : writes) {
        // One key per capture, as a plain key-value design would have it.
        std::string key = w.key + "/" + std::to_string(w.capture.captured_at().seconds()) + "." +
                          std::to_string(w.capture.captured_at().nanos());
        w.capture.SerializeToString(&value);
        batch.Put(key, value);
        for (const auto& b : w.blobs) {
          batch.Put(b.meta.sha256(), rocksdb::Slice(b.data.data(), b.data.size()));
        }
        bare_keys.push_back(std::move(key));
      }
      const auto t0 = Clock::now();
      if (auto s = bare->Write(rocksdb::WriteOptions(), &batch); !s.ok()) Die(s.ToString());
      bare_secs += Seconds(Clock::now() - t0);
    }
  }

  // Single-capture commits (one WAL sync each), as `stillpost archive` makes them.
  const long singles = std::min<long>(2000, args.posts);
  double single_secs = 0;
  {
    TextGen g2(7);
    for (long i = 0; i < singles; ++i) {
      Capture c = MakeCapture(g2, args.posts + i, "");
      const auto t0 = Clock::now();
      if (auto r = store->AddCapture(c.post().key(), c); !r) Die(r.error().ToString());
      single_secs += Seconds(Clock::now() - t0);
    }
  }

  // Both stores settle into their compacted state before sizes and lookups are measured, so
  // neither is measured while the other (or itself) compacts.
  if (auto s = store->Compact(); !s.ok()) Die(s.ToString());
  {
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    if (auto s = bare->Flush(rocksdb::FlushOptions()); !s.ok()) Die(s.ToString());
    if (auto s = bare->CompactRange(cro, nullptr, nullptr); !s.ok()) Die(s.ToString());
  }

  const uint64_t blob_raw =
      static_cast<uint64_t>((args.posts + kPostsPerBlob - 1) / kPostsPerBlob) * kBlobBytes;
  const uint64_t ours_total = DirBytes(ours_dir);
  const uint64_t ours_blob_files = DirBytes(ours_dir, ".blob");
  const uint64_t ours_posts_bytes = ours_total - ours_blob_files;
  const uint64_t bare_total = DirBytes(bare_dir);
  const double n = static_cast<double>(args.posts);

  // Every blob stored once: the counter and the blob files agree with what was written.
  const auto stats = store->Stats();

  // Warm both, then measure.
  auto ours_lookup = [&](long i) {
    auto c = store->LatestGood("x/" + PostId(i));
    if (!c) Die(c.error().ToString());
  };
  auto bare_lookup = [&](long i) {
    rocksdb::PinnableSlice v;
    auto s = bare->Get(rocksdb::ReadOptions(), bare->DefaultColumnFamily(),
                       bare_keys[static_cast<size_t>(i)], &v);
    if (!s.ok()) Die(s.ToString());
  };
  Lookups(args.posts, args.lookups, 2, ours_lookup);
  Lookups(args.posts, args.lookups, 2, bare_lookup);
  const LookupResult ours1 = Lookups(args.posts, args.lookups, 1, ours_lookup);
  const LookupResult bare1 = Lookups(args.posts, args.lookups, 1, bare_lookup);
  const LookupResult ours2 = Lookups(args.posts, args.lookups, 2, ours_lookup);
  const LookupResult bare2 = Lookups(args.posts, args.lookups, 2, bare_lookup);

  std::printf("\n%-44s %14s %14s %8s\n", "", "stillpost", "bare rocksdb", "ratio");
  auto row = [](const char* name, double ours_v, double bare_v, int decimals) {
    char a[32], b[32];
    std::snprintf(a, sizeof a, "%.*f", decimals, ours_v);
    std::snprintf(b, sizeof b, "%.*f", decimals, bare_v);
    std::printf("%-44s %14s %14s %7.2fx\n", name, a, b, bare_v > 0 ? ours_v / bare_v : 0.0);
  };
  row("ingest captures/s (batched; ours WAL-synced)", n / ours_secs, n / bare_secs, 0);
  std::printf("%-44s %14.0f %14s\n", "ingest captures/s (one synced batch each)",
              static_cast<double>(singles) / single_secs, "-");
  row("bytes on disk per post (all)", static_cast<double>(ours_total) / n,
      static_cast<double>(bare_total) / n, 0);
  row("bytes on disk per post (excluding blobs)", static_cast<double>(ours_posts_bytes) / n,
      (static_cast<double>(bare_total) - static_cast<double>(blob_raw)) / n, 0);
  row("disk bytes per byte of post text",
      static_cast<double>(ours_posts_bytes) / static_cast<double>(text_bytes),
      (static_cast<double>(bare_total) - static_cast<double>(blob_raw)) /
          static_cast<double>(text_bytes),
      3);
  row("latest-capture lookups/s, 1 thread", ours1.per_second, bare1.per_second, 0);
  row("latest-capture lookups/s, 2 threads", ours2.per_second, bare2.per_second, 0);
  row("lookup p50 us, 1 thread", ours1.p50_us, bare1.p50_us, 1);
  row("lookup p99 us, 1 thread", ours1.p99_us, bare1.p99_us, 1);
  row("lookup p99 us, 2 threads", ours2.p99_us, bare2.p99_us, 1);
  std::printf(
      "\nblobs: %llu written for %llu referenced (%s); blob files hold %.1f MB for %.1f MB of blob "
      "data\n",
      static_cast<unsigned long long>(stats.blobs),
      static_cast<unsigned long long>((args.posts + kPostsPerBlob - 1) / kPostsPerBlob),
      stats.blobs == static_cast<uint64_t>((args.posts + kPostsPerBlob - 1) / kPostsPerBlob)
          ? "each once"
          : "MISMATCH",
      static_cast<double>(ours_blob_files) / 1e6, static_cast<double>(blob_raw) / 1e6);
  std::printf(
      "post text: %.1f MB; the bare store's ingest does not sync its WAL (RocksDB's default)\n",
      static_cast<double>(text_bytes) / 1e6);

  store.reset();
  bare.reset();
  if (!args.keep) fs::remove_all(args.dir);
  return 0;
}
