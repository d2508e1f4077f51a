#include "server/server.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/numbers.h"
#include "server/detail/clock_text.h"

namespace stillpost::server {
namespace {

using detail::HttpDate;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Bodies larger than this are written a piece at a time, each piece with its own deadline:
// the timeout is on lack of progress, not on the whole response.
constexpr size_t kWriteChunk = 256 << 10;
// Large media are read from the store a piece at a time, on threads of their own.
constexpr size_t kStreamPiece = 1 << 20;
constexpr size_t kMediaReadThreads = 2;
constexpr auto kMaxAcceptBackoff = std::chrono::milliseconds(1000);

// Beast's request parser, held to RFC 9112 where Beast is lenient, and stopped at the head so a
// request with a body no route takes, or an Expect, is answered without waiting for the body.
// The bodies the router takes (Router::TakesBody: the archive API's POSTs) are read after the
// head, by a string-body parser made from this one, up to ServerOptions::max_body_bytes.
class StrictParser : public http::request_parser<http::empty_body> {
 public:
  // `input` is the connection's read buffer, which the parser reads the head from.
  StrictParser(const beast::flat_buffer& input, const Router& router)
      : input_(input), router_(router) {}
  int reject = 0;           // the status to refuse the request with (400, 417)
  bool has_body = false;    // Content-Length > 0 or chunked
  bool wants_body = false;  // ... and the router takes it: read it next

 private:
  const beast::flat_buffer& input_;
  const Router& router_;

  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code& ec) override {
    // Beast joins the lines of an obs-fold in a buffer of its own; an unfolded value points
    // into the read buffer. A value from elsewhere was folded (RFC 9112 5.2: a server must
    // reject it or replace it; we reject).
    const auto* begin = static_cast<const char*>(input_.data().data());
    const char* end = begin + input_.data().size();
    if (!value.empty() && (value.data() < begin || value.data() >= end)) {
      reject = 400;
      ec = http::error::bad_value;
      return;
    }
    get().insert(name, name_string, value);
  }

  void on_header_impl(beast::error_code& ec) override {
    const auto& m = get();
    size_t hosts = 0;
    for (auto it = m.find(http::field::host); it != m.end() && it->name() == http::field::host;
         ++it) {
      ++hosts;
    }
    const auto te = m[http::field::transfer_encoding];
    bool te_ok = true;
    if (!te.empty()) {
      // The last coding must be chunked (RFC 9112 6.3); and not beside a Content-Length.
      std::string_view codings(te.data(), te.size());
      while (!codings.empty() && (codings.back() == ' ' || codings.back() == '\t')) {
        codings.remove_suffix(1);
      }
      const size_t comma = codings.rfind(',');
      std::string_view last = comma == std::string_view::npos ? codings : codings.substr(comma + 1);
      while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
      te_ok = beast::iequals(last, "chunked") && m.find(http::field::content_length) == m.end();
    }
    const auto expect = m[http::field::expect];
    if ((m.version() >= 11 && hosts != 1) || hosts > 1 || !te_ok) {
      reject = 400;
    } else if (!expect.empty() && !beast::iequals(expect, "100-continue")) {
      reject = 417;
    }
    has_body = !te.empty() || (content_length() && *content_length() > 0);
    wants_body =
        has_body && reject == 0 &&
        router_.TakesBody(std::string_view(m.method_string().data(), m.method_string().size()),
                          std::string_view(m.target().data(), m.target().size()));
    if (reject != 0 || (has_body && !wants_body)) ec = http::error::unexpected_body;  // the head
  }
};

}  // namespace

struct Server::Impl {
  Router& router;
  ServerOptions options;
  // One io_context per thread, each run by its own thread (as nginx runs one event loop per
  // worker): a connection stays on one thread, with no locks or hand-offs between threads.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  size_t next_io = 0;
  asio::io_context& io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::optional<asio::signal_set> signals;
  std::atomic<bool> stopping{false};
  int bound_port = 0;

  // Every I/O error, logged once, here (as Beast's examples' fail()): what failed, for whom.
  // Our own cancellations and a client closing between requests are not errors.
  void Fail(beast::error_code ec, std::string_view what, std::string_view client) {
    if (options.log == nullptr || ec == asio::error::operation_aborted ||
        ec == http::error::end_of_stream) {
      return;
    }
    std::string where(what);
    if (!client.empty()) where += std::string(" from ") + std::string(client);
    options.log->Error(where, ec.message());
  }

  class Session;
  std::mutex sessions_mu;
  std::set<std::shared_ptr<Session>> sessions;

  static asio::io_context& First(std::vector<std::unique_ptr<asio::io_context>>& ios, int n) {
    for (int i = 0; i < n; ++i) ios.push_back(std::make_unique<asio::io_context>(1));
    return *ios.front();
  }
  Impl(Router& r, ServerOptions o)
      : router(r),
        options(std::move(o)),
        io(First(ios, options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())))) {}

  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(tcp::socket socket, Impl& impl, std::string client)
        : stream_(std::move(socket)), impl_(impl), client_(std::move(client)) {}

    const std::string& client() const { return client_; }
    bool idle() const { return !busy_.load(std::memory_order_relaxed); }
    Clock::rep last_active() const { return last_active_.load(std::memory_order_relaxed); }

    void Start() {
      asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
    }

    // From Stop(): an idle connection closes now, a busy one after its response.
    void Shutdown() {
      asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (!self->busy_) self->Close();
      });
    }

   private:
    void Read() {
      if (impl_.stopping) return Close();
      parser_.emplace(buffer_, impl_.router);
      body_parser_.reset();
      parser_->header_limit(static_cast<uint32_t>(impl_.options.header_limit));
      // This parser reads no body (StrictParser stops at the head of a request that has one
      // no route takes, which is then answered), so Beast's own body limit must not cut in
      // first and drop the answer.
      parser_->body_limit(boost::none);
      stream_.expires_after(first_ ? impl_.options.read_timeout : impl_.options.idle_timeout);
      http::async_read_header(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
    }

    // The body of a request the router takes one for (the archive API), read after its head.
    void ReadBody() {
      const auto length = parser_->content_length();
      if (length && *length > impl_.options.max_body_bytes) return WriteError(413);
      const bool expect = !parser_->get()[http::field::expect].empty();
      body_parser_.emplace(
          std::move(static_cast<http::request_parser<http::empty_body>&>(*parser_)));
      body_parser_->body_limit(impl_.options.max_body_bytes);
      stream_.expires_after(impl_.options.read_timeout);
      auto read = [self = shared_from_this()] {
        http::async_read(self->stream_, self->buffer_, *self->body_parser_,
                         [self](beast::error_code ec, size_t) { self->OnBody(ec); });
      };
      if (!expect) return read();
      // Expect: 100-continue: the client waits for this before it sends the body.
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this(), read](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          read();
                        });
    }

    void OnBody(beast::error_code ec) {
      last_active_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
      if (ec == http::error::body_limit) return WriteError(413);
      if (ec) {
        impl_.Fail(ec, "read body", client_);
        return Close();
      }
      auto& req = body_parser_->get();
      Serve(req, req.body());
    }

    void OnRead(beast::error_code ec) {
      last_active_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
      if (parser_ && parser_->reject != 0) return WriteError(parser_->reject);
      if (!ec && parser_ && parser_->wants_body) return ReadBody();
      if (ec && parser_ && parser_->has_body) {
        // A request with a body no route takes: answered from its head alone,
        // at once (an Expect: 100-continue client waits for no 100), then the connection closes.
        stop_after_ = true;
        ec = {};
      }
      if (ec == http::error::end_of_stream || ec) {
        // A keep-alive connection that says nothing until the idle timeout is not an error.
        if (!(ec == beast::error::timeout && buffer_.size() == 0)) impl_.Fail(ec, "read", client_);
        if (ec && ec != http::error::end_of_stream && ec != beast::error::timeout &&
            ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
            parser_ && parser_->is_header_done() == false && buffer_.size() > 0) {
          // A malformed or oversized request: say so once, then close.
          return WriteError(ec == http::error::header_limit ? 431 : 400);
        }
        return Close();
      }
      Serve(parser_->get(), {});
    }

    // Answers one request (its head, and its body when the route takes one).
    template <class Message>
    void Serve(Message& req, std::string_view body) {
      first_ = false;
      busy_ = true;
      const auto start = Clock::now();
      Request r;
      r.body = body;
      r.authorization = req[http::field::authorization];
      r.origin = req[http::field::origin];
      r.method = req.method_string();
      r.target = req.target();
      r.if_none_match = req[http::field::if_none_match];
      r.range = req[http::field::range];
      r.if_range = req[http::field::if_range];
      r.accept_encoding = req[http::field::accept_encoding];
      r.accept_datetime = req["Accept-Datetime"];
      Response resp;
      try {
        resp = impl_.router.Handle(r);
      } catch (...) {
        // Router::Handle catches its handlers' exceptions; this is the last line.
        resp = Response();
        resp.status = 500;
        resp.body = "{\"error\":\"internal error\"}";
        resp.Set("Content-Type", "application/json");
        resp.log_error = "exception escaped the router";
      }
      const bool head = req.method() == http::verb::head;
      keep_alive_ = req.keep_alive() && !impl_.stopping && !stop_after_;
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const size_t bytes = head || resp.status == 304 ? 0 : resp.BodySize();
      impl_.router.metrics().Record(resp.route, resp.status, seconds, bytes);
      if (Log* log = impl_.options.log) {
        if (!resp.log_error.empty()) {
          log->Error(
              std::string(resp.route) + ": " + std::string(r.method) + " " + std::string(r.target),
              resp.log_error);
        }
        Log::Access a;
        a.client = client_;
        a.method = r.method;
        a.target = r.target;
        a.version = req.version();
        a.status = resp.status;
        a.bytes = bytes;
        a.referer = req[http::field::referer];
        a.user_agent = req[http::field::user_agent];
        a.seconds = seconds;
        a.route = resp.route;
        log->Request(a);
      }
      Write(std::move(resp), head, req.version());
    }

    // The response head is written by hand into a buffer the session reuses, and sent with the
    // body in one gather write: Beast's serializer and header container cost more per request
    // than the rest of the write path (measured under the serve benchmark).
    void Write(Response resp, bool head, unsigned version) {
      held_ = std::move(resp);
      const int status = held_.status;
      head_.clear();
      head_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
      head_ += std::to_string(status);
      head_ += ' ';
      const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
      head_.append(reason.data(), reason.size());
      head_ += "\r\nServer: stillpost\r\nDate: ";
      head_ += HttpDate();
      head_ += "\r\n";
      // A 304 carries what a cache needs to refresh its copy and nothing that describes a body
      // (RFC 9110 15.4.5): no Content-Type, Content-Length, Content-Encoding or CSP.
      const bool not_modified = status == 304;
      for (const auto& h : held_.headers) {
        const std::string_view value = h.Value();
        // Our own headers never hold a line break; one that did would split the response.
        if (value.find_first_of("\r\n") != std::string_view::npos) continue;
        if (not_modified && h.name != "ETag" && h.name != "Cache-Control" && h.name != "Vary" &&
            h.name != "Expires" && h.name != "Content-Location") {
          continue;
        }
        head_ += h.name;
        head_ += ": ";
        head_ += value;
        head_ += "\r\n";
      }
      const size_t size = held_.BodySize();
      if (!not_modified) {
        head_ += "Content-Length: ";
        head_ += std::to_string(size);
        head_ += "\r\n";
      }
      if (version == 10 && keep_alive_) head_ += "Connection: keep-alive\r\n";
      if (version != 10 && !keep_alive_) head_ += "Connection: close\r\n";
      head_ += "\r\n";
      const bool body = !head && status != 304 && size > 0;
      // The head goes with the first piece of an in-memory body in one gather write; a
      // streamed body's pieces are read first (SendRest).
      at_ = held_.read ? held_.offset : 0;
      left_ = body ? size : 0;
      const size_t first = held_.read ? 0 : std::min(left_, kWriteChunk);
      const std::array<asio::const_buffer, 2> buffers{
          asio::buffer(head_),
          first > 0 ? asio::buffer(held_.BodyData(), first) : asio::const_buffer()};
      at_ += first;
      left_ -= first;
      stream_.expires_after(impl_.options.write_progress_timeout);
      asio::async_write(
          stream_, buffers,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->SendRest(ec); });
    }

    // The rest of the body, a piece at a time, each piece with a fresh deadline (the timeout is
    // on lack of progress). A streamed body's pieces are read on the media-read threads first:
    // a disk read of a video must not hold up the event loop.
    void SendRest(beast::error_code ec) {
      last_active_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
      if (ec) impl_.Fail(ec, "write", client_);
      if (ec || left_ == 0) return Finish(ec);
      if (!held_.read) {
        const size_t n = std::min(left_, kWriteChunk);
        const char* at = held_.BodyData() + at_;
        WritePiece(asio::buffer(at, n), n);
        return;
      }
      const size_t n = std::min(left_, kStreamPiece);
      asio::post(impl_.read_pool, [self = shared_from_this(), at = at_, n] {
        Result<std::string> bytes = self->held_.read(at, n);
        asio::post(self->stream_.get_executor(), [self, n, bytes = std::move(bytes)]() mutable {
          if (!bytes || bytes->size() != n) {
            if (Log* log = self->impl_.options.log) {
              log->Error("media stream to " + self->client_,
                         bytes ? "a short piece from the store" : bytes.error().ToString());
            }
            // The head is sent: a response cut short is all that can tell the client.
            self->keep_alive_ = false;
            return self->Finish(beast::error::timeout);
          }
          self->piece_ = std::move(*bytes);
          self->WritePiece(asio::buffer(self->piece_), n);
        });
      });
    }

    void WritePiece(asio::const_buffer piece, size_t n) {
      at_ += n;
      left_ -= n;
      stream_.expires_after(impl_.options.write_progress_timeout);
      asio::async_write(stream_, piece, [self = shared_from_this()](beast::error_code e, size_t) {
        self->SendRest(e);
      });
    }

    void Finish(beast::error_code ec) {
      busy_ = false;
      held_ = Response();
      piece_.clear();
      if (ec || !keep_alive_) return Close();
      Read();
    }

    void WriteError(int status) {
      Response r;
      r.status = status;
      r.body = status == 431   ? "{\"error\":\"request headers too large\"}"
               : status == 417 ? "{\"error\":\"only Expect: 100-continue is understood\"}"
               : status == 413 ? "{\"error\":\"request body too large\"}"
                               : "{\"error\":\"bad request\"}";
      r.Set("Content-Type", "application/json");
      keep_alive_ = false;
      Write(std::move(r), false, 11);
    }

    void Close() {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
      impl_.Forget(shared_from_this());
    }

    beast::tcp_stream stream_;
    Impl& impl_;
    std::string client_;  // the peer's address, for the per-client cap
    beast::flat_buffer buffer_;
    std::optional<StrictParser> parser_;
    std::optional<http::request_parser<http::string_body>> body_parser_;
    Response held_;      // keeps the body (or the blob) alive while it is written
    std::string head_;   // the status line and headers being written
    uint64_t at_ = 0;    // where the next piece starts: in held_'s body, or in a streamed blob
    size_t left_ = 0;    // how much of the body is still to send
    std::string piece_;  // the piece being written
    bool keep_alive_ = false;
    std::atomic<bool> busy_{false};
    std::atomic<Clock::rep> last_active_{Clock::now().time_since_epoch().count()};
    bool first_ = true;
    bool stop_after_ = false;  // close once this response is written
  };

  // Reads of large media, off the event loops. Declared after the io_contexts, so it is joined
  // (and its last posts delivered) before they go.
  asio::thread_pool read_pool{kMediaReadThreads};

  // Under sessions_mu.
  std::unordered_map<std::string, size_t> per_client;
  asio::steady_timer accept_timer{io};
  std::chrono::milliseconds backoff{0};

  void Forget(const std::shared_ptr<Session>& s) {
    std::lock_guard<std::mutex> lock(sessions_mu);
    if (sessions.erase(s) > 0) {
      auto it = per_client.find(s->client());
      if (it != per_client.end() && --it->second == 0) per_client.erase(it);
    }
  }

  // Closes the idle connection that has waited longest; false when none is idle. Under
  // sessions_mu.
  bool ShedIdleLocked() {
    std::shared_ptr<Session> oldest;
    for (const auto& s : sessions) {
      if (s->idle() && (!oldest || s->last_active() < oldest->last_active())) oldest = s;
    }
    if (!oldest) return false;
    oldest->Shutdown();
    return true;
  }

  void Accept() {
    asio::io_context& target = *ios[next_io++ % ios.size()];
    acceptor.async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        Fail(ec, "accept", {});
        // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): accepting again at
        // once fails again at once. Make room, wait, then try again.
        {
          std::lock_guard<std::mutex> lock(sessions_mu);
          ShedIdleLocked();
        }
        backoff = std::min<std::chrono::milliseconds>(
            kMaxAcceptBackoff, backoff.count() == 0 ? options.accept_backoff : backoff * 2);
        accept_timer.expires_after(backoff);
        accept_timer.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor.is_open()) Accept();
        });
        return;
      }
      backoff = std::chrono::milliseconds(0);
      beast::error_code opt_ec;
      socket.set_option(tcp::no_delay(true), opt_ec);  // small responses go out at once
      const auto peer = socket.remote_endpoint(opt_ec);
      std::string client = opt_ec ? std::string("?") : peer.address().to_string();
      bool admit = true;
      {
        std::lock_guard<std::mutex> lock(sessions_mu);
        if (per_client[client] >= options.max_connections_per_client) {
          admit = false;
        } else if (sessions.size() >= options.max_connections && !ShedIdleLocked()) {
          admit = false;
        }
        if (!admit && per_client[client] == 0) per_client.erase(client);
      }
      if (admit) {
        auto s = std::make_shared<Session>(std::move(socket), *this, client);
        {
          std::lock_guard<std::mutex> lock(sessions_mu);
          sessions.insert(s);
          ++per_client[client];
        }
        s->Start();
      } else {
        socket.close(opt_ec);
      }
      Accept();
    });
  }
};

Server::Server(Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {}

Server::~Server() {
  Stop();
  Wait();
}

Status Server::Start() {
  SP_RETURN_IF_ERROR(Bind());
  Run();
  return Status::Ok();
}

namespace {

// "ADDRESS:PORT" as an endpoint; IPv6 in brackets.
Result<tcp::endpoint> ParseListen(const std::string& listen) {
  const auto bad = [&] {
    return InvalidArgumentError("--listen takes ADDRESS:PORT, not " + listen);
  };
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return bad();
  std::string host = listen.substr(0, colon);
  // An IPv6 address comes in brackets, whole ("[::1]:8080"); anything else that starts or ends
  // with one is malformed (once, "[::1:18140" listened on every interface).
  const bool bracketed = !host.empty() && host.front() == '[';
  if (bracketed != (!host.empty() && host.back() == ']') || (bracketed && host.size() < 3)) {
    return bad();
  }
  if (bracketed) host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  const std::string port_text = listen.substr(colon + 1);
  const auto port = ParseDigits(port_text);
  if (ec || address.is_v6() != bracketed || !port || *port > 65535) return bad();
  return tcp::endpoint(address, static_cast<unsigned short>(*port));
}

}  // namespace

Status Server::CheckListen(const std::string& listen) { return ParseListen(listen).status(); }

Status Server::Bind() {
  Impl& im = *impl_;
  const std::string& listen = im.options.listen;
  auto parsed = ParseListen(listen);
  if (!parsed) return parsed.error();
  const tcp::endpoint endpoint = *parsed;
  beast::error_code ec;
  im.acceptor.open(endpoint.protocol(), ec);
  if (!ec) im.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) im.acceptor.bind(endpoint, ec);
  if (!ec) im.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot listen on " + listen + ": " + ec.message());
  im.bound_port = im.acceptor.local_endpoint().port();
  return Status::Ok();
}

void Server::Run() {
  Impl& im = *impl_;
  for (auto& ctx : im.ios) im.work.push_back(asio::make_work_guard(*ctx));
  im.Accept();
  for (auto& ctx : im.ios) {
    asio::io_context* c = ctx.get();
    im.threads.emplace_back([c] { c->run(); });
  }
}

int Server::port() const { return impl_->bound_port; }

void Server::Stop() {
  Impl& im = *impl_;
  if (im.stopping.exchange(true)) return;
  asio::post(im.io, [&im] {
    beast::error_code ec;
    im.acceptor.close(ec);
    im.accept_timer.cancel();
    if (im.signals) im.signals->cancel(ec);
    std::set<std::shared_ptr<Impl::Session>> sessions;
    {
      std::lock_guard<std::mutex> lock(im.sessions_mu);
      sessions = im.sessions;
    }
    for (auto& s : sessions) s->Shutdown();
    im.work.clear();
  });
}

void Server::Wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

void Server::StopOnSignals() {
  Impl& im = *impl_;
  im.signals.emplace(im.io, SIGINT, SIGTERM);
  im.signals->async_wait([this](beast::error_code ec, int) {
    if (!ec) Stop();
  });
}

}  // namespace stillpost::server
