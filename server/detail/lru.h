// The server's caches: a sharded, cost-bounded LRU map. Private to server/; tested in
// tests/unit/server/lru_test.cc.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stillpost::server::detail {

// Thread safety: every method may be called from any thread.
//
// A thread-safe LRU map from string keys to shared values, bounded by a total cost: the render
// cache counts entries, the media cache bytes. A value costing more than a shard's budget is not
// kept. Keys are spread over `shards` independently locked shards (the render cache is read and
// written by every request on every thread). Each shard indexes by the key's hash, each entry
// keeps its key to check against, and an evicted entry's node and key storage are reused: under
// a stream of misses (uniformly random posts) a Put allocates only the index node.
//
// With `admit_on_second_sight`, a key is kept only when it is Put a second time while its first
// sighting is still remembered (a TinyLFU-style doorkeeper: a bitset of recent key hashes,
// cleared after a few budgets' worth of sightings). A post requested once is then rendered and
// not cached: it does not push a post that is requested again and again out of the cache, and
// the miss costs no eviction.
template <typename V>
class Lru {
 public:
  Lru(size_t budget, size_t (*cost)(const V&), size_t shards = 1,
      bool admit_on_second_sight = false)
      : shards_(std::max<size_t>(1, shards)),
        budget_(budget / shards_.size()),
        cost_(cost),
        doorkeeper_(admit_on_second_sight) {
    if (doorkeeper_) {
      for (auto& sh : shards_) sh.seen.assign(kSeenWords, 0);
    }
  }

  std::shared_ptr<const V> Get(std::string_view key) {
    const size_t h = std::hash<std::string_view>{}(key);
    Shard& sh = shards_[h % shards_.size()];
    std::lock_guard<std::mutex> lock(sh.mu);
    auto it = sh.index.find(h);
    if (it == sh.index.end() || it->second->key != key) return nullptr;
    sh.order.splice(sh.order.begin(), sh.order, it->second);
    return it->second->value;
  }

  void Put(std::string_view key, std::shared_ptr<const V> value) {
    const size_t cost = cost_(*value);
    const size_t h = std::hash<std::string_view>{}(key);
    Shard& sh = shards_[h % shards_.size()];
    std::shared_ptr<const V> evicted;  // released after the lock
    std::lock_guard<std::mutex> lock(sh.mu);
    if (cost > budget_ || sh.index.count(h)) return;  // kept already (or a hash twin: skip it)
    if (doorkeeper_) {
      uint64_t& word = sh.seen[(h >> 6) % kSeenWords];
      const uint64_t bit = uint64_t{1} << (h & 63);
      if ((word & bit) == 0) {
        word |= bit;
        if (++sh.sightings > kForgetAfterBudgets * std::max<size_t>(budget_, 64)) {
          std::fill(sh.seen.begin(), sh.seen.end(), 0);
          sh.sightings = 0;
        }
        return;  // first sighting: remembered, not kept
      }
    }
    sh.used += cost;
    while (!sh.order.empty() && sh.used > budget_) {
      Entry& last = sh.order.back();
      sh.used -= last.cost;
      sh.index.erase(last.hash);
      evicted = std::move(last.value);
      sh.spare.splice(sh.spare.begin(), sh.order, std::prev(sh.order.end()));
    }
    if (sh.spare.empty()) sh.spare.emplace_front();
    sh.order.splice(sh.order.begin(), sh.spare, sh.spare.begin());
    Entry& e = sh.order.front();
    e.hash = h;
    e.key.assign(key.data(), key.size());  // reuses the evicted key's capacity
    e.value = std::move(value);
    e.cost = cost;
    sh.index.emplace(h, sh.order.begin());
  }

 private:
  struct Entry {
    size_t hash = 0;
    std::string key;
    std::shared_ptr<const V> value;
    size_t cost = 0;
  };
  static constexpr size_t kSeenWords = 1024;  // 65,536 bits per shard
  static constexpr size_t kForgetAfterBudgets = 4;
  struct Shard {
    std::mutex mu;
    std::list<Entry> order;  // most recent first
    std::list<Entry> spare;  // evicted nodes (values released), for reuse
    std::unordered_map<size_t, typename std::list<Entry>::iterator> index;
    size_t used = 0;
    std::vector<uint64_t> seen;  // the doorkeeper's bitset
    size_t sightings = 0;
  };
  std::vector<Shard> shards_;
  const size_t budget_;  // per shard
  size_t (*const cost_)(const V&);
  const bool doorkeeper_;
};

}  // namespace stillpost::server::detail
