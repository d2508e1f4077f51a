// The serving fast path: a post's state and its latest good capture, still compressed, from one
// read; the caller decides from the state (ETag, 304, a cache hit) and decodes only when it must
// render, on an arena (no per-field allocation, nothing to free field by field).
//
//   ServingReader reader(store);
//   auto s = reader.StateForServing("x/20");       // NotFound: not archived
//   google::protobuf::Arena arena;
//   auto capture = reader.DecodeLatest(*s, arena);  // NotFound: never captured whole
//
// Thread safety: as Store: any thread, any number at once. A ServingReader borrows its Store,
// which must outlive it; it holds nothing else.
#pragma once

#include <google/protobuf/arena.h>

#include <string>
#include <string_view>

#include "archive/store.h"

namespace stillpost::archive {

// StateSummary() and the latest good capture, encoded.
struct StateAndLatest {
  proto::PostState state;  // as Store::StateSummary() gives it
  std::string encoded;     // opaque; empty when there never was a good capture
};

class ServingReader {
 public:
  explicit ServingReader(const Store& store) : store_(store) {}

  // One read, checksums verified. NotFound for a post not in the archive.
  Result<StateAndLatest> StateForServing(std::string_view key) const;
  // The capture inside StateAndLatest. NotFound when there is none; DataLoss when it does not
  // decode.
  Result<proto::Capture> DecodeLatest(const StateAndLatest& s) const;
  // The same, allocated on `arena`; it lives as long as the arena.
  Result<const proto::Capture*> DecodeLatest(const StateAndLatest& s,
                                             google::protobuf::Arena& arena) const;

 private:
  const Store& store_;
};

}  // namespace stillpost::archive
