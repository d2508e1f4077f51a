#include "warc/records.h"

#include <zlib.h>

#include <algorithm>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/join.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/url/parse.hpp>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <chrono>
#include <cstring>

#include "common/numbers.h"
#include "common/time.h"

namespace stillpost::warc {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// stillpost's UUID namespace: the v5 UUID of "https://stillpost.invalid/warc" in the URL
// namespace of RFC 4122.
const boost::uuids::uuid& Namespace() {
  static const boost::uuids::uuid ns = [] {
    boost::uuids::name_generator_sha1 url_ns(boost::uuids::ns::url());
    return url_ns("https://stillpost.invalid/warc");
  }();
  return ns;
}

}  // namespace

std::string_view Record::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (boost::algorithm::iequals(n, name)) return v;
  }
  return {};
}

std::string Serialize(const Record& record) {
  std::string out = "WARC/1.1\r\n";
  for (const auto& [n, v] : record.headers) out.append(n).append(": ").append(v).append(kCrlf);
  out.append("Content-Length: ").append(std::to_string(record.block.size())).append(kCrlf);
  out.append(kCrlf);
  out.append(record.block);
  out.append(kCrlf).append(kCrlf);
  return out;
}

Result<std::string> GzipMember(std::string_view bytes) {
  z_stream z{};
  // 15 + 16: a gzip wrapper, whose header zlib writes with mtime 0 and no name.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return InternalError("zlib cannot start a gzip member");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t n = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return InternalError("zlib cannot finish a gzip member");
  out.resize(n);
  return out;
}

namespace {

// The whole file decompressed: every gzip member in turn, or the file itself.
Result<std::string> Decompress(std::string_view file, uint64_t max_bytes) {
  if (file.size() < 2 || static_cast<unsigned char>(file[0]) != 0x1f ||
      static_cast<unsigned char>(file[1]) != 0x8b) {
    if (file.size() > max_bytes) return ResourceExhaustedError("the WARC file is over the cap");
    return std::string(file);
  }
  std::string out;
  size_t at = 0;
  char buffer[1 << 16];
  while (at < file.size()) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return InternalError("zlib cannot start inflating");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(file.data() + at));
    z.avail_in = static_cast<uInt>(std::min<size_t>(file.size() - at, UINT32_MAX));
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof buffer;
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&z);
        return InvalidArgumentError("not a gzip file: the member at byte " + std::to_string(at) +
                                    " is corrupt or cut short");
      }
      out.append(buffer, sizeof buffer - z.avail_out);
      if (out.size() > max_bytes) {
        inflateEnd(&z);
        return ResourceExhaustedError("the WARC file decompresses to more than " +
                                      std::to_string(max_bytes) + " bytes");
      }
      if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
        inflateEnd(&z);
        return InvalidArgumentError("the gzip member at byte " + std::to_string(at) +
                                    " is cut short");
      }
    }
    at += z.total_in;
    inflateEnd(&z);
  }
  return out;
}

}  // namespace

Result<std::vector<Record>> ParseWarc(std::string_view file, uint64_t max_bytes) {
  SP_ASSIGN_OR_RETURN(const std::string data, Decompress(file, max_bytes));
  std::vector<Record> records;
  size_t at = 0;
  const std::string_view all(data);
  while (at < all.size()) {
    auto fail = [&](const std::string& why) {
      return InvalidArgumentError("not a WARC file: " + why + " at byte " + std::to_string(at) +
                                  " (decompressed)");
    };
    const std::string_view rest = all.substr(at);
    if (!rest.starts_with("WARC/1.1\r\n") && !rest.starts_with("WARC/1.0\r\n")) {
      return fail("no WARC/1.1 or WARC/1.0 version line");
    }
    const size_t head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return fail("a record head without its end");
    Record r;
    std::optional<uint64_t> length;
    std::string_view lines = rest.substr(10, head_end - 10 + 2);
    while (!lines.empty()) {
      const size_t eol = lines.find(kCrlf);
      const std::string_view line = lines.substr(0, eol);
      lines.remove_prefix(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return fail("a header line without ':'");
      std::string name(line.substr(0, colon));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      if (boost::algorithm::iequals(name, "Content-Length")) {
        length = ParseDigits(value);
        if (!length) return fail("a Content-Length that is not a number");
        continue;
      }
      r.headers.emplace_back(std::move(name), std::string(value));
    }
    if (!length) return fail("a record without Content-Length");
    const size_t block_at = head_end + 4;
    if (*length > rest.size() - block_at) return fail("a block longer than the file");
    r.block.assign(rest.substr(block_at, static_cast<size_t>(*length)));
    size_t next = block_at + static_cast<size_t>(*length);
    if (rest.substr(next, 4) != "\r\n\r\n") return fail("a record not ended by two CRLFs");
    at += next + 4;
    records.push_back(std::move(r));
  }
  return records;
}

std::string RecordId(std::string_view name) {
  boost::uuids::name_generator_sha1 gen(Namespace());
  return "<urn:uuid:" + boost::uuids::to_string(gen(name.data(), name.size())) + ">";
}

std::string Surt(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return boost::algorithm::to_lower_copy(std::string(url));
  std::string host = boost::algorithm::to_lower_copy(std::string(parsed->encoded_host()));
  if (host.starts_with("www.")) host.erase(0, 4);
  std::vector<std::string> labels;
  boost::algorithm::split(labels, host, [](char c) { return c == '.'; });
  std::reverse(labels.begin(), labels.end());
  std::string out = boost::algorithm::join(labels, ",");
  const std::string scheme = boost::algorithm::to_lower_copy(std::string(parsed->scheme()));
  if (parsed->has_port() && !((scheme == "http" && parsed->port() == "80") ||
                              (scheme == "https" && parsed->port() == "443"))) {
    out.append(":").append(parsed->port());
  }
  out.push_back(')');
  std::string path(parsed->encoded_path());
  if (path.empty()) path = "/";
  out.append(boost::algorithm::to_lower_copy(path));
  if (parsed->has_query()) {
    out.push_back('?');
    out.append(boost::algorithm::to_lower_copy(std::string(parsed->encoded_query())));
  }
  return out;
}

std::string Timestamp14(int64_t micros) {
  std::string t = FormatRfc3339(micros);  // 2026-01-01T12:00:00[.fff]Z
  std::string out;
  for (char c : t.substr(0, 19)) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

std::string HeadForBody(std::string_view head, size_t body_size) {
  std::string out;
  bool first = true;
  bool had_length = false;
  while (!head.empty()) {
    const size_t eol = head.find(kCrlf);
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    if (line.empty()) break;
    if (first) {
      out.append(line).append(kCrlf);
      first = false;
      continue;
    }
    const size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon == std::string_view::npos ? 0 : colon);
    if (boost::algorithm::iequals(name, "content-encoding") ||
        boost::algorithm::iequals(name, "transfer-encoding")) {
      out.append("X-Stillpost-Orig-").append(line).append(kCrlf);
    } else if (boost::algorithm::iequals(name, "content-length")) {
      had_length = true;
      out.append("Content-Length: ").append(std::to_string(body_size)).append(kCrlf);
      if (line.substr(colon + 1).find(std::to_string(body_size)) == std::string_view::npos) {
        out.append("X-Stillpost-Orig-").append(line).append(kCrlf);
      }
    } else {
      out.append(line).append(kCrlf);
    }
  }
  if (!had_length) out.append("Content-Length: ").append(std::to_string(body_size)).append(kCrlf);
  out.append(kCrlf);
  return out;
}

}  // namespace stillpost::warc
