// upstream-replay: recorded upstream answers for tests and the demo, on loopback only.
//   upstream-replay --root DIR [--listen 127.0.0.1:0]
// Prints "listening on http://127.0.0.1:PORT" as its first line. Layout, admin routes and
// faults: tools/upstream-replay/README.md.
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

constexpr size_t kMaxRequestBody = 1 << 20;
constexpr auto kHangFor = std::chrono::minutes(10);
constexpr uint64_t kDefaultOversizeBytes = 64ull << 20;
// Query parameters that name the answer of a query-keyed endpoint, in the order tried.
constexpr const char* kKeyParams[] = {"id", "uri", "url", "handle", "cid", "q"};

// What a request maps to: the file of the answer, found by host, path and key parameter.
struct Target {
  fs::path file;
  std::string key;  // the canonical key of this answer, for gone/fault/hits bookkeeping
};

std::string Sanitize(std::string s) {
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) c = '_';
  }
  return s;
}

std::string LastSegment(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  const size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// "/HOST/PATH?Q" (a request through --upstream '*=BASE') to the file that answers it.
std::optional<Target> Resolve(const fs::path& root, std::string_view target) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return std::nullopt;
  std::string path = u->path();  // decoded
  if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos)
    return std::nullopt;
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  if (path.empty()) return std::nullopt;
  fs::path file = root / path;
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    for (const char* name : kKeyParams) {
      auto it = u->params().find(name);
      if (it == u->params().end()) continue;
      std::string value = (*it).value;
      if (std::string_view(name) == "url" || std::string_view(name) == "uri")
        value = LastSegment(value);
      fs::path keyed = file / (Sanitize(value) + ".json");
      if (!fs::is_regular_file(keyed, ec)) keyed = file / Sanitize(value);  // a blob by CID
      return Target{keyed, path + "?" + name + "=" + Sanitize(value)};
    }
    return std::nullopt;
  }
  // A JSON answer at a path without an extension (/api/v1/statuses/ID) is kept as ID.json.
  if (!fs::is_regular_file(file, ec)) {
    fs::path json = file;
    json += ".json";
    if (fs::is_regular_file(json, ec)) return Target{json, path};
  }
  return Target{file, path};
}

// The key an admin route names by its upstream URL (https://HOST/PATH?Q).
std::optional<Target> ResolveUpstreamUrl(const fs::path& root, std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return std::nullopt;
  std::string target = "/" + std::string(u->host()) + std::string(u->encoded_path());
  if (u->has_query()) target += "?" + std::string(u->encoded_query());
  return Resolve(root, target);
}

std::string ContentType(const fs::path& file, std::string_view head) {
  const std::string ext = file.extension().string();
  if (ext == ".json") return "application/json; charset=utf-8";
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".xml" || ext == ".rss" || ext == ".atom") return "application/xml";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".gif") return "image/gif";
  if (ext == ".webp") return "image/webp";
  if (ext == ".mp4") return "video/mp4";
  if (ext == ".m3u8") return "application/x-mpegURL";
  if (head.size() >= 3 && head.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (head.size() >= 4 && head.substr(0, 4) == "\x89PNG") return "image/png";
  if (head.size() >= 4 && head.substr(0, 4) == "GIF8") return "image/gif";
  if (head.size() >= 12 && head.substr(8, 4) == "WEBP") return "image/webp";
  if (head.size() >= 8 && head.substr(4, 4) == "ftyp") return "video/mp4";
  return "application/octet-stream";
}

struct Fault {
  std::string kind;   // latency, 429, 500, truncate, oversize, hang
  int remaining = 1;  // 0: every request
  long ms = 0;
  long retry_after = 1;
  uint64_t bytes = kDefaultOversizeBytes;
  std::string to;  // redirect: the Location
};

// Shared state of the admin routes.
struct State {
  fs::path root;
  std::mutex mu;
  std::map<std::string, std::string> gone;  // key -> 404 | empty | tombstone
  std::map<std::string, Fault> faults;
  std::map<std::string, long> hits;
  std::map<std::string, long> not_modified;  // conditional GETs answered 304
};

std::string Param(const boost::urls::url_view& u, const char* name) {
  auto it = u.params().find(name);
  return it == u.params().end() ? "" : std::string((*it).value);
}

using Response = http::response<http::string_body>;

Response Make(http::status status, std::string body, std::string type = "application/json") {
  Response r{status, 11};
  r.set(http::field::server, "upstream-replay");
  r.set(http::field::content_type, type);
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

// `bytes` zero bytes, gzip-compressed: a compression bomb (about 1000:1).
std::string GzipZeros(uint64_t bytes) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  const std::string chunk(1 << 16, '\0');
  std::string out;
  char buf[1 << 16];
  uint64_t left = bytes;
  int flush = Z_NO_FLUSH;
  do {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, flush);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&z);
  return out;
}

// What the session should do with a request.
struct Plan {
  Response response;
  long delay_ms = 0;
  bool hang = false;
  bool truncate = false;  // send the headers and half the body, then close
  uint64_t oversize = 0;  // send this many bytes of body
};

// A request for a host of its own (a browser that resolves publisher.example to this replay) is
// answered from that host's tree: "/news/a.html" with Host publisher.example is
// "/publisher.example/news/a.html". Requests to the replay's own address are as recorded.
std::string TargetOf(const http::request<http::string_body>& req) {
  std::string target(req.target());
  std::string host(req[http::field::host]);
  if (const size_t colon = host.rfind(':'); colon != std::string::npos && host.back() != ']') {
    host.resize(colon);
  }
  if (!host.empty() && host != "127.0.0.1" && host != "localhost" && host != "[::1]" &&
      host.find('/') == std::string::npos && host.find("..") == std::string::npos) {
    target = "/" + host + target;
  }
  return target;
}

Plan Handle(State& st, const http::request<http::string_body>& req) {
  const std::string target = TargetOf(req);
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return {Make(http::status::bad_request, R"({"error":"bad target"})")};
  const std::string path = u->path();
  if (path.rfind("/_replay/", 0) == 0) {
    const std::string url = Param(*u, "url");
    auto t = ResolveUpstreamUrl(st.root, url);
    if (!t) return {Make(http::status::bad_request, R"({"error":"url names no recorded answer"})")};
    std::lock_guard<std::mutex> lock(st.mu);
    if (path == "/_replay/hits") {
      return {Make(http::status::ok,
                   "{\"hits\":" + std::to_string(st.hits[t->key]) +
                       ",\"not_modified\":" + std::to_string(st.not_modified[t->key]) + "}")};
    }
    if (req.method() != http::verb::post) {
      return {Make(http::status::method_not_allowed, R"({"error":"POST"})")};
    }
    if (path == "/_replay/gone") {
      std::string as = Param(*u, "as");
      if (as.empty()) as = "404";
      if (as != "404" && as != "410" && as != "empty" && as != "tombstone" &&
          as != "xrpc-notfound" && as != "notfoundpost") {
        return {
            Make(http::status::bad_request,
                 R"({"error":"as is 404, 410, empty, tombstone, xrpc-notfound or notfoundpost"})")};
      }
      st.gone[t->key] = as;
    } else if (path == "/_replay/restore") {
      st.gone.erase(t->key);
      st.faults.erase(t->key);
    } else if (path == "/_replay/fault") {
      Fault f;
      f.kind = Param(*u, "kind");
      if (f.kind != "latency" && f.kind != "429" && f.kind != "500" && f.kind != "truncate" &&
          f.kind != "oversize" && f.kind != "hang" && f.kind != "redirect" &&
          f.kind != "gzipbomb") {
        return {Make(http::status::bad_request,
                     R"({"error":"kind is latency, 429, 500, truncate, oversize, hang, )"
                     R"(redirect or gzipbomb"})")};
      }
      f.to = Param(*u, "to");
      if (auto v = Param(*u, "times"); !v.empty()) f.remaining = std::stoi(v);
      if (auto v = Param(*u, "ms"); !v.empty()) f.ms = std::stol(v);
      if (auto v = Param(*u, "retry_after"); !v.empty()) f.retry_after = std::stol(v);
      if (auto v = Param(*u, "bytes"); !v.empty()) f.bytes = std::stoull(v);
      st.faults[t->key] = f;
    } else {
      return {Make(http::status::not_found, R"({"error":"unknown admin route"})")};
    }
    return {Make(http::status::ok, R"({"ok":true})")};
  }

  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return {Make(http::status::method_not_allowed, R"({"error":"GET"})")};
  }
  auto t = Resolve(st.root, target);
  Plan plan;
  std::string gone;
  std::optional<Fault> fault;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (t) {
      st.hits[t->key]++;
      if (auto g = st.gone.find(t->key); g != st.gone.end()) gone = g->second;
      if (auto f = st.faults.find(t->key); f != st.faults.end()) {
        fault = f->second;
        if (f->second.remaining > 0 && --f->second.remaining == 0) st.faults.erase(f);
      }
    }
  }
  if (fault) {
    if (fault->kind == "429") {
      Response r = Make(http::status::too_many_requests, R"({"error":"rate limited"})");
      r.set(http::field::retry_after, std::to_string(fault->retry_after));
      return {std::move(r)};
    }
    if (fault->kind == "500")
      return {Make(http::status::internal_server_error, R"({"error":"boom"})")};
    if (fault->kind == "redirect") {
      Response r = Make(http::status::found, "");
      r.set(http::field::location, fault->to);
      return {std::move(r)};
    }
    if (fault->kind == "hang") {
      plan.hang = true;
      return plan;
    }
    if (fault->kind == "gzipbomb") {
      Response r = Make(http::status::ok, GzipZeros(fault->bytes), "application/octet-stream");
      r.set(http::field::content_encoding, "gzip");
      return {std::move(r)};
    }
    if (fault->kind == "latency") plan.delay_ms = fault->ms;
    if (fault->kind == "oversize") plan.oversize = fault->bytes;
    if (fault->kind == "truncate") plan.truncate = true;
  }
  if (gone == "404") {
    plan.response = Make(http::status::not_found, R"({"error":"Record not found"})");
    return plan;
  }
  if (gone == "410") {
    plan.response = Make(http::status::gone, R"({"error":"Gone"})");
    return plan;
  }
  if (gone == "xrpc-notfound") {
    plan.response =
        Make(http::status::bad_request, R"({"error":"NotFound","message":"Post not found"})");
    return plan;
  }
  if (gone == "notfoundpost") {
    plan.response = Make(
        http::status::ok,
        R"({"thread":{"$type":"app.bsky.feed.defs#notFoundPost","uri":"at://deleted","notFound":true}})");
    return plan;
  }
  if (gone == "empty") {
    plan.response = Make(http::status::ok, "{}");
    return plan;
  }
  if (gone == "tombstone") {
    plan.response = Make(
        http::status::ok,
        R"({"__typename":"TweetTombstone","tombstone":{"text":{"text":"This Post was deleted by the Post author. Learn more","entities":[],"rtl":false}}})");
    return plan;
  }
  std::error_code ec;
  if (!t || !fs::is_regular_file(t->file, ec)) {
    plan.response = Make(http::status::not_found, R"({"error":"no recorded answer"})");
    return plan;
  }
  std::ifstream in(t->file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  std::string data = body.str();
  const std::string type = ContentType(t->file, std::string_view(data).substr(0, 16));
  // Validators as a real server sends them, so conditional GETs can be tested: an ETag from the
  // bytes, and one fixed Last-Modified for every recorded file.
  char etag[32];
  std::snprintf(etag, sizeof etag, "\"%016zx\"", std::hash<std::string>{}(data));
  constexpr const char* kLastModified = "Thu, 01 Jan 2026 00:00:00 GMT";
  const std::string inm(req[http::field::if_none_match]);
  const std::string ims(req[http::field::if_modified_since]);
  if ((!inm.empty() && inm == etag) || (inm.empty() && ims == kLastModified)) {
    {
      std::lock_guard<std::mutex> lock(st.mu);
      st.not_modified[t->key]++;
    }
    plan.response = Make(http::status::not_modified, "", type);
  } else {
    plan.response = Make(http::status::ok, std::move(data), type);
  }
  plan.response.set(http::field::etag, etag);
  plan.response.set(http::field::last_modified, kLastModified);
  return plan;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, State& state)
      : stream_(std::move(socket)), state_(state), timer_(stream_.get_executor()) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->OnRequest(self->parser_->release());
                     });
  }

  void OnRequest(http::request<http::string_body> req) {
    plan_ = Handle(state_, req);
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    if (plan_.hang) {
      timer_.expires_after(kHangFor);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Close(); });
      // Notice the client giving up: a read that fails closes the connection.
      stream_.socket().async_wait(
          tcp::socket::wait_read,
          [self = shared_from_this()](beast::error_code) { self->timer_.cancel(); });
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(plan_.delay_ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Respond(); });
  }

  void Respond() {
    auto self = shared_from_this();
    if (plan_.truncate || plan_.oversize > 0) {
      // Written by hand: a Content-Length the body does not keep.
      std::string& body = plan_.response.body();
      const uint64_t length = plan_.oversize > 0 ? plan_.oversize : body.size();
      raw_ = "HTTP/1.1 200 OK\r\nContent-Type: " +
             std::string(plan_.response[http::field::content_type]) +
             "\r\nContent-Length: " + std::to_string(length) + "\r\nConnection: close\r\n\r\n";
      if (plan_.truncate) {
        raw_ += body.substr(0, body.size() / 2);
      } else {
        raw_.append(static_cast<size_t>(std::min<uint64_t>(length, 8ull << 20)), 'x');
      }
      asio::async_write(stream_, asio::buffer(raw_),
                        [self](beast::error_code, size_t) { self->Close(); });
      return;
    }
    plan_.response.keep_alive(keep_alive_);
    if (head_) plan_.response.body().clear();
    http::async_write(stream_, plan_.response, [self](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  State& state_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Plan plan_;
  bool keep_alive_ = false;
  bool head_ = false;
  std::string raw_;
};

void Accept(tcp::acceptor& acceptor, State& state) {
  acceptor.async_accept([&acceptor, &state](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket), state)->Start();
    if (acceptor.is_open()) Accept(acceptor, state);
  });
}

int Usage(const std::string& why) {
  std::cerr << "upstream-replay: " << why
            << " (usage: upstream-replay --root DIR [--listen 127.0.0.1:PORT])\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root;
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--root" || arg == "--listen") && i + 1 < argc) {
      (arg == "--root" ? root : listen) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "upstream-replay --root DIR [--listen 127.0.0.1:PORT]\n";
      return 0;
    } else {
      return Usage("unknown argument '" + arg + "'");
    }
  }
  if (root.empty()) return Usage("--root is required");
  if (!fs::is_directory(root)) return Usage("no directory " + root);
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Usage("--listen takes ADDRESS:PORT");
  boost::system::error_code ec;
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto address = asio::ip::make_address(host, ec);
  if (ec || !address.is_loopback())
    return Usage("it listens on loopback addresses only, not " + host);
  const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));

  asio::io_context io;
  State state;
  state.root = fs::canonical(root);
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "upstream-replay: cannot listen on " << listen << ": " << ec.message() << '\n';
    return 1;
  }
  const auto bound = acceptor.local_endpoint();
  std::cout << "listening on http://"
            << (bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                        : bound.address().to_string())
            << ':' << bound.port() << std::endl;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    acceptor.close();
    io.stop();
  });
  Accept(acceptor, state);
  io.run();
  return 0;
}
