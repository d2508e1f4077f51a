#include "server/server.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace stillpost::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

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
    Session(tcp::socket socket, Impl& impl) : stream_(std::move(socket)), impl_(impl) {}

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
      parser_.emplace();
      parser_->header_limit(static_cast<uint32_t>(impl_.options.header_limit));
      parser_->body_limit(impl_.options.body_limit);
      stream_.expires_after(first_ ? impl_.options.read_timeout : impl_.options.idle_timeout);
      http::async_read(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
    }

    void OnRead(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec) {
        if (ec && ec != http::error::end_of_stream && ec != beast::error::timeout &&
            ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
            parser_ && parser_->is_header_done() == false && buffer_.size() > 0) {
          // A malformed or oversized request: say so once, then close.
          return WriteError(ec == http::error::header_limit ? 431 : 400);
        }
        return Close();
      }
      first_ = false;
      busy_ = true;
      const auto start = Clock::now();
      auto& req = parser_->get();
      Request r;
      r.method = req.method_string();
      r.target = req.target();
      r.if_none_match = req[http::field::if_none_match];
      r.range = req[http::field::range];
      Response resp;
      try {
        resp = impl_.router.Handle(r);
      } catch (const std::exception&) {
        resp = Response();
        resp.status = 500;
        resp.body = "{\"error\":\"internal error\"}";
        resp.Set("Content-Type", "application/json");
      }
      const bool head = req.method() == http::verb::head;
      keep_alive_ = req.keep_alive() && !impl_.stopping;
      impl_.router.metrics().Record(resp.route, resp.status,
                                    std::chrono::duration<double>(Clock::now() - start).count(),
                                    head ? 0 : resp.BodySize());
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
      head_ += "\r\nServer: stillpost\r\n";
      for (const auto& h : held_.headers) {
        const std::string_view value = h.Value();
        // Our own headers never hold a line break; one that did would split the response.
        if (value.find_first_of("\r\n") != std::string_view::npos) continue;
        head_ += h.name;
        head_ += ": ";
        head_ += value;
        head_ += "\r\n";
      }
      const size_t size = held_.BodySize();
      head_ += "Content-Length: ";
      head_ += std::to_string(size);
      head_ += "\r\n";
      if (version == 10 && keep_alive_) head_ += "Connection: keep-alive\r\n";
      if (version != 10 && !keep_alive_) head_ += "Connection: close\r\n";
      head_ += "\r\n";
      const bool body = !head && status != 304 && size > 0;
      const std::array<asio::const_buffer, 2> buffers{
          asio::buffer(head_), body ? asio::buffer(held_.BodyData(), size) : asio::const_buffer()};
      stream_.expires_after(impl_.options.read_timeout);
      asio::async_write(stream_, buffers,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          self->busy_ = false;
                          self->held_ = Response();
                          if (ec || !self->keep_alive_) return self->Close();
                          self->Read();
                        });
    }

    void WriteError(int status) {
      Response r;
      r.status = status;
      r.body = status == 431 ? "{\"error\":\"request headers too large\"}"
                             : "{\"error\":\"bad request\"}";
      r.Set("Content-Type", "application/json");
      keep_alive_ = false;
      Write(std::move(r), false, 11);
    }

    void Close() {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
      std::lock_guard<std::mutex> lock(impl_.sessions_mu);
      impl_.sessions.erase(shared_from_this());
    }

    beast::tcp_stream stream_;
    Impl& impl_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    Response held_;     // keeps the body (or the blob) alive while it is written
    std::string head_;  // the status line and headers being written
    bool keep_alive_ = false;
    bool busy_ = false;
    bool first_ = true;
  };

  void Accept() {
    asio::io_context& target = *ios[next_io++ % ios.size()];
    acceptor.async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (!ec) {
        beast::error_code opt_ec;
        socket.set_option(tcp::no_delay(true), opt_ec);  // small responses go out at once
        auto s = std::make_shared<Session>(std::move(socket), *this);
        {
          std::lock_guard<std::mutex> lock(sessions_mu);
          sessions.insert(s);
        }
        s->Start();
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

Status Server::Bind() {
  Impl& im = *impl_;
  const std::string& listen = im.options.listen;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    return InvalidArgumentError("--listen takes ADDRESS:PORT, not " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  const std::string port_text = listen.substr(colon + 1);
  if (ec || port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return InvalidArgumentError("--listen takes ADDRESS:PORT, not " + listen);
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(std::stoi(port_text)));
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
