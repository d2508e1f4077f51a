// A store's posts as a web archive: WARC 1.1 (.warc.gz, one gzip member per record) and WACZ
// 1.1.1 (a ZIP of STORE members: the WARC, a CDXJ index, pages, and a datapackage whose digest
// the store's key signs), and back: an import restores captures, blobs, manifests and articles
// from either into a store. docs/archives.md has the record layout.
//
// Start here: auto warc = BuildExport(store, {keys}, {}); WriteWacz(store, *warc, path, {});
// Thread safety: each call reads (or, Import, writes) the store it is given, which is safe
// beside other readers and, for Import, a store opened by this process only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archive/store.h"
#include "common/status.h"

namespace stillpost::warc {

struct ExportOptions {
  // Where the server that holds these posts is published: embeds are recorded at
  // BASE/embed/KEY?capture=TIME (the immutable capture URL).
  std::string public_base = "https://stillpost.invalid";
  std::string title = "stillpost archive";
};

// What to export: posts by key (each with every capture) and articles by URL (the article
// record, and every post it names).
struct ExportSelection {
  std::vector<std::string> keys;
  std::vector<std::string> articles;
};

struct ExportCounts {
  uint64_t posts = 0;
  uint64_t captures = 0;
  uint64_t exchanges = 0;         // request + response pairs
  uint64_t without_exchange = 0;  // captures from before stillpost kept the exchange: resource
  uint64_t media = 0;             // media response (or resource) records
  uint64_t revisits = 0;          // media seen again: revisit records
  uint64_t embeds = 0;
  uint64_t articles = 0;
  uint64_t records = 0;
};

// A WARC written to a file record by record (a store larger than memory exports whole), with
// what a WACZ needs beside it.
struct Export {
  std::string warc_path;  // the .warc.gz: the records, one gzip member each
  uint64_t warc_bytes = 0;
  std::string warc_sha256;  // "sha256:<hex>" of the file
  std::string cdxj;         // sorted "SURT TIMESTAMP {json}" lines, offsets into the file
  std::string pages;        // pages.jsonl, its header line first: one page per post
  ExportCounts counts;
  int64_t newest = 0;  // the newest capture exported (µs): the package's "created"
};

// Writes the records for `selection` to `warc_path`, deterministic: the same store and
// selection give the same bytes. NotFound names a key or article the store does not hold;
// Unavailable a file that cannot be written (what was written is removed).
Result<Export> BuildExport(const archive::Store& store, const ExportSelection& selection,
                           const ExportOptions& options, const std::string& warc_path);

// A WACZ 1.1.1 package of an export's WARC file (archive/data.warc.gz, indexes/index.cdxj,
// pages/pages.jsonl, datapackage.json, datapackage-digest.json signed by the store's key), every
// member STORE. Byte for byte the same for the same export but for the signature (ECDSA is
// randomized: OpenSSL 3.0 has no deterministic nonces), which is the one thing that differs.
Status WriteWacz(const archive::Store& store, const Export& exported, const std::string& path,
                 const ExportOptions& options);

struct ImportCounts {
  uint64_t captures = 0;          // stored
  uint64_t already = 0;           // the store had them (same post, same time): kept as they were
  uint64_t older = 0;             // older than the store's newest capture of their post: skipped
  uint64_t blobs = 0;             // new blobs stored
  uint64_t articles = 0;          // stored (newer than what the store had, or new)
  uint64_t keys = 0;              // public keys of other stores kept, to check their manifests
  std::string package_signature;  // WACZ: "verified by key ID", "none", or what failed
};

// Restores what an export holds into `store`: a WACZ (its members' hashes checked first) or a
// .warc(.gz). Every record is read and checked before anything is written; then captures go in
// in time order with their manifests as they were signed, their blobs, and the articles.
// InvalidArgument (one line) for a file that is not one of ours or is damaged.
Result<ImportCounts> Import(archive::Store& store, const std::string& path);

}  // namespace stillpost::warc
