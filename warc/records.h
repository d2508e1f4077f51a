// WARC 1.1 records (ISO 28500:2017): written one gzip member each (zlib, mtime 0), read back
// from a .warc.gz of any number of members or an uncompressed .warc. The formats' small
// helpers live here too: record ids from their content (UUIDv5), SURT keys for CDXJ.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace stillpost::warc {

struct Record {
  // In order; WARC-Type first. Content-Length is written from `block`, never kept here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string block;

  // The first header of that name (case-insensitive); empty when there is none.
  std::string_view Header(std::string_view name) const;
  void Add(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// "WARC/1.1", the headers, Content-Length, a blank line, the block, and two CRLFs.
std::string Serialize(const Record& record);

// One gzip member of `bytes`: mtime 0 and no name, so the same bytes always give the same member.
Result<std::string> GzipMember(std::string_view bytes);

// Every record of a WARC file: gzip members (each holding records) or plain. `max_bytes` caps
// the decompressed size. InvalidArgument, with the byte offset, for anything that is not WARC.
Result<std::vector<Record>> ParseWarc(std::string_view file, uint64_t max_bytes);

// "<urn:uuid:...>", a name-based (version 5, SHA-1) UUID of `name` in stillpost's namespace:
// the same content always gets the same id.
std::string RecordId(std::string_view name);

// The SURT form of a URL as CDXJ sorts it: "com,example)/path?query" (host labels reversed, a
// leading www dropped, lower case, a port that is not the scheme's kept).
std::string Surt(std::string_view url);

// The 14-digit WARC/CDX timestamp of a time in Unix microseconds: "20260101120000".
std::string Timestamp14(int64_t micros);

// The HTTP head `head` with what no longer describes the stored body renamed: the client
// undid Content-Encoding and Transfer-Encoding, so those become X-Stillpost-Orig-* and
// Content-Length is the body's length. Lines end CRLF; the blank line ends it.
std::string HeadForBody(std::string_view head, size_t body_size);

}  // namespace stillpost::warc
