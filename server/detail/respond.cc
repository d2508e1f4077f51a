#include "server/detail/respond.h"

#include <google/protobuf/util/time_util.h>
#include <zlib.h>

#include <boost/json/serialize.hpp>

#include "common/web.h"

namespace stillpost::server::detail {

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.Set("Content-Type", "application/json; charset=utf-8");
  r.Set("Cache-Control", "no-cache");
  return r;
}

Response Error(int status, std::string_view message) {
  boost::json::object o;
  o["error"] = ValidUtf8(message);
  return Json(status, boost::json::serialize(o));
}

Response Error(const Status& s) {
  const int status = HttpStatusFor(s.code());
  // A server-side failure (a corrupt record, an I/O error) says what in the log, not the body.
  if (status >= 500) {
    Response r = Error(status, "internal error");
    r.log_error = s.ToString();
    return r;
  }
  return Error(status, s.message());
}

std::string Gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace stillpost::server::detail
