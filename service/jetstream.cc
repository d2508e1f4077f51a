#include "service/jetstream.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <random>
#include <set>

#include "common/time.h"
#include "proto/time.h"
#include "service/keys.h"

namespace stillpost::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxFrameBytes = 4 << 20;  // Jetstream events are small; a bigger one is hostile
constexpr std::chrono::seconds kPersistEvery{5};

std::string_view StringAt(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

std::optional<JetstreamAction> ReadJetstreamEvent(std::string_view text, int64_t* time_us) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  if (const json::value* t = o.if_contains("time_us"); t != nullptr && t->is_int64()) {
    if (time_us != nullptr) *time_us = t->get_int64();
  } else if (t != nullptr && t->is_uint64() && time_us != nullptr) {
    *time_us = static_cast<int64_t>(std::min<uint64_t>(t->get_uint64(), INT64_MAX));
  }
  if (StringAt(o, "kind") != "commit") return std::nullopt;
  const json::value* c = o.if_contains("commit");
  if (c == nullptr || !c->is_object()) return std::nullopt;
  const json::object& commit = c->get_object();
  const std::string_view op = StringAt(commit, "operation");
  if (StringAt(commit, "collection") != "app.bsky.feed.post") return std::nullopt;
  if (op != "delete" && op != "update") return std::nullopt;
  const std::string_view did = StringAt(o, "did");
  const std::string_view rkey = StringAt(commit, "rkey");
  if (!did.starts_with("did:") || rkey.empty() || did.find('/') != std::string_view::npos ||
      rkey.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  JetstreamAction a;
  a.key = "bsky/" + std::string(did) + "/" + std::string(rkey);
  a.operation = std::string(op);
  a.time_us = time_us != nullptr ? *time_us : 0;
  return a;
}

std::string JetstreamUrl(std::string_view base, const std::vector<std::string>& dids,
                         int64_t cursor) {
  boost::urls::url u;
  if (auto parsed = boost::urls::parse_uri(base)) u = *parsed;
  auto params = u.params();
  params.set("wantedCollections", "app.bsky.feed.post");
  params.erase("wantedDids");
  for (const auto& did : dids) params.append({"wantedDids", did});
  if (cursor > 0) params.set("cursor", std::to_string(cursor));
  return std::string(u.buffer());
}

struct Jetstream::Impl {
  archive::Store& store;
  Scheduler& scheduler;
  JetstreamOptions options;
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  asio::steady_timer refresh{io};
  std::thread thread;
  std::atomic<int64_t> cursor{0};
  Clock::time_point persisted_at{};
  int64_t persisted = 0;
  std::vector<std::string> dids;
  mutable std::mutex mu;
  JetstreamStats stats;
  std::mt19937 rng{std::random_device{}()};
  uint64_t generation = 0;  // bumped when the DID set changes: older connections end

  // Where connections go, after --upstream rewriting.
  struct Target {
    bool tls = false;
    std::string host, port, path;  // path with the query
  };

  Impl(archive::Store& s, Scheduler& sch, JetstreamOptions o)
      : store(s), scheduler(sch), options(std::move(o)) {
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
  }

  std::vector<std::string> CurrentDids() {
    std::set<std::string> set;
    std::string after;
    while (true) {
      auto keys = store.PostsByPlatform("bsky", 1000, after);
      if (!keys || keys->empty()) break;
      for (const auto& k : *keys) {
        const size_t a = k.find('/'), b = k.rfind('/');
        if (a != std::string::npos && b > a) set.insert(k.substr(a + 1, b - a - 1));
      }
      if (keys->size() < 1000) break;
      after = keys->back();
    }
    return {set.begin(), set.end()};
  }

  Result<Target> Resolve(const std::string& url) {
    std::string as_http = url;
    if (as_http.starts_with("wss://")) as_http = "https://" + as_http.substr(6);
    if (as_http.starts_with("ws://")) as_http = "http://" + as_http.substr(5);
    auto resolved = options.upstreams.Resolve(as_http);
    if (!resolved) return resolved.error();
    auto u = boost::urls::parse_uri(resolved->url);
    if (!u) return InvalidArgumentError("--jetstream takes a ws(s):// URL, not " + url);
    Target t;
    t.tls = u->scheme() == "https";
    t.host = std::string(u->host());
    t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
    t.path = std::string(u->encoded_path());
    if (t.path.empty()) t.path = "/";
    if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
    return t;
  }

  void Persist(bool force) {
    const int64_t c = cursor.load();
    if (c == 0 || c == persisted) return;
    if (!force && Clock::now() - persisted_at < kPersistEvery) return;
    proto::JetstreamState st;
    st.set_url(options.url);
    st.set_cursor(c);
    if (store
            .WriteService(std::vector<archive::ServiceWrite>{
                {JetstreamKey(options.url), st.SerializeAsString(), false}})
            .ok()) {
      persisted = c;
      persisted_at = Clock::now();
    }
  }

  void OnFrame(std::string_view text) {
    int64_t time_us = 0;
    auto action = ReadJetstreamEvent(text, &time_us);
    {
      std::lock_guard<std::mutex> lock(mu);
      stats.events++;
    }
    if (time_us > cursor.load()) cursor = time_us;
    if (action && store.StateSummary(action->key)) {
      const std::string trigger =
          "jetstream " + action->operation + " at " + FormatRfc3339(action->time_us);
      if (scheduler.CheckNow(action->key, trigger).ok()) {
        std::lock_guard<std::mutex> lock(mu);
        stats.acted++;
      }
      Persist(true);
    } else {
      Persist(false);
    }
  }

  // One connection attempt for DIDs [first, last) of the current set; on its end, another after
  // a backoff (unless the DID set moved on, whose refresh starts new ones).
  template <class Stream>
  struct Session : std::enable_shared_from_this<Session<Stream>> {
    Impl& impl;
    Target target;
    std::vector<std::string> dids;
    uint64_t generation;
    size_t shard;
    int failures;
    tcp::resolver resolver;
    websocket::stream<Stream> ws;
    beast::flat_buffer buffer;
    bool opened = false;

    template <class... Args>
    Session(Impl& i, Target t, std::vector<std::string> d, uint64_t g, size_t s, int f,
            Args&&... args)
        : impl(i),
          target(std::move(t)),
          dids(std::move(d)),
          generation(g),
          shard(s),
          failures(f),
          resolver(i.io),
          ws(std::forward<Args>(args)...) {}

    beast::tcp_stream& Tcp() { return beast::get_lowest_layer(ws); }

    void Run() {
      resolver.async_resolve(
          target.host, target.port,
          [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
            if (ec) return self->End(ec);
            self->Tcp().expires_after(std::chrono::seconds(10));
            self->Tcp().async_connect(r, [self](beast::error_code ec2, tcp::endpoint) {
              if (ec2) return self->End(ec2);
              self->Secure();
            });
          });
    }

    void Secure() {
      if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
        // SNI (SSL_set_tlsext_host_name, spelled out: the macro casts old-style).
        if (SSL_ctrl(ws.next_layer().native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name, const_cast<char*>(target.host.c_str())) != 1) {
          return End(beast::error_code(asio::error::invalid_argument));
        }
        ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(target.host));
        ws.next_layer().async_handshake(asio::ssl::stream_base::client,
                                        [self = this->shared_from_this()](beast::error_code ec) {
                                          if (ec) return self->End(ec);
                                          self->Handshake();
                                        });
      } else {
        Handshake();
      }
    }

    void Handshake() {
      Tcp().expires_never();
      websocket::stream_base::timeout timeouts =
          websocket::stream_base::timeout::suggested(beast::role_type::client);
      timeouts.idle_timeout = impl.options.idle_timeout;
      timeouts.keep_alive_pings = true;
      ws.set_option(timeouts);
      ws.read_message_max(kMaxFrameBytes);
      ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, "stillpost (jetstream subscriber)");
      }));
      const std::string path = JetstreamUrl("ws://h" + target.path, dids, impl.cursor.load());
      auto u = boost::urls::parse_uri(path);
      std::string request_target = u ? std::string(u->encoded_resource()) : target.path;
      ws.async_handshake(target.host, request_target,
                         [self = this->shared_from_this()](beast::error_code ec) {
                           if (ec) return self->End(ec);
                           self->opened = true;
                           self->failures = 0;
                           {
                             std::lock_guard<std::mutex> lock(self->impl.mu);
                             self->impl.stats.connections++;
                             self->impl.stats.connected++;
                           }
                           self->Read();
                         });
    }

    void Read() {
      ws.async_read(buffer, [self = this->shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->End(ec);
        if (self->generation != self->impl.generation) {
          beast::error_code ignored;
          self->Tcp().socket().close(ignored);
          return self->End(asio::error::operation_aborted, /*retry=*/false);
        }
        const auto data = self->buffer.cdata();
        self->impl.OnFrame(std::string_view(static_cast<const char*>(data.data()), data.size()));
        self->buffer.consume(self->buffer.size());
        self->Read();
      });
    }

    void End(beast::error_code, bool retry = true) {
      {
        std::lock_guard<std::mutex> lock(impl.mu);
        if (opened && impl.stats.connected > 0) impl.stats.connected--;
        impl.stats.errors++;
      }
      if (retry && generation == impl.generation) impl.Reconnect(shard, failures + 1);
    }
  };

  void Connect(size_t shard, int failures) {
    const size_t per = std::max<size_t>(1, options.max_dids_per_connection);
    const size_t first = shard * per;
    if (first >= dids.size()) return;
    std::vector<std::string> slice(
        dids.begin() + static_cast<std::ptrdiff_t>(first),
        dids.begin() + static_cast<std::ptrdiff_t>(std::min(dids.size(), first + per)));
    auto target = Resolve(options.url);
    if (!target) return;  // checked in Start()
    if (target->tls) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          *this, *target, std::move(slice), generation, shard, failures, io, tls)
          ->Run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(*this, *target, std::move(slice), generation,
                                                   shard, failures, io)
          ->Run();
    }
  }

  void Reconnect(size_t shard, int failures) {
    const auto base = options.backoff_base.count();
    const auto cap = options.backoff_max.count();
    const auto exp = std::min<long long>(cap, base << std::min(failures - 1, 20));
    std::uniform_int_distribution<long long> jitter(0, exp / 2);
    auto timer = std::make_shared<asio::steady_timer>(io);
    timer->expires_after(std::chrono::milliseconds(exp / 2 + jitter(rng)));
    const uint64_t g = generation;
    timer->async_wait([this, timer, shard, failures, g](beast::error_code ec) {
      if (!ec && g == generation) Connect(shard, failures);
    });
  }

  // Looks for new DIDs; when the set changed, every connection is made again with it (older
  // ones end at their next frame), resuming from the cursor.
  void Refresh(bool first) {
    std::vector<std::string> now = CurrentDids();
    if (first || now != dids) {
      dids = std::move(now);
      ++generation;
      {
        std::lock_guard<std::mutex> lock(mu);
        stats.dids = dids.size();
      }
      const size_t per = std::max<size_t>(1, options.max_dids_per_connection);
      for (size_t shard = 0; shard * per < dids.size(); ++shard) Connect(shard, 0);
    }
    Persist(false);
    refresh.expires_after(options.refresh_every);
    refresh.async_wait([this](beast::error_code ec) {
      if (!ec) Refresh(false);
    });
  }
};

Jetstream::Jetstream(archive::Store& store, Scheduler& scheduler, JetstreamOptions options)
    : impl_(std::make_unique<Impl>(store, scheduler, std::move(options))) {}

Jetstream::~Jetstream() { Stop(); }

Status Jetstream::Start() {
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(im.Resolve(im.options.url).status());
  if (auto saved = im.store.GetService(JetstreamKey(im.options.url))) {
    proto::JetstreamState st;
    if (st.ParseFromString(*saved)) {
      im.cursor = st.cursor();
      im.persisted = st.cursor();
    }
  }
  asio::post(im.io, [&im] { im.Refresh(true); });
  im.thread = std::thread([&im] {
    auto guard = asio::make_work_guard(im.io);
    // A handler that throws (out of memory) must not end the process: count it and start the
    // subscriptions again from the cursor.
    while (!im.io.stopped()) {
      try {
        im.io.run();
      } catch (const std::exception&) {
        {
          std::lock_guard<std::mutex> lock(im.mu);
          im.stats.errors++;
        }
        ++im.generation;
        asio::post(im.io, [&im] { im.Refresh(true); });
      }
    }
  });
  return Status::Ok();
}

void Jetstream::Stop() {
  Impl& im = *impl_;
  if (!im.thread.joinable()) return;
  im.io.stop();
  im.thread.join();
  im.Persist(true);
}

JetstreamStats Jetstream::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  JetstreamStats s = impl_->stats;
  s.cursor = impl_->cursor.load();
  return s;
}

}  // namespace stillpost::service
