#include "server/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>

#include "common/time.h"
#include "common/web.h"
#include "server/detail/clock_text.h"

namespace stillpost::server {
namespace {

constexpr size_t kFlushAt = 64 << 10;
constexpr auto kFlushEvery = std::chrono::seconds(1);

using detail::ClfTime;

// A request's own words, quoted for a log line: no quote, backslash or control byte may end the
// field or forge a line (escaped \xHH, as nginx does).
void AppendQuoted(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += '-';
    return;
  }
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
}

}  // namespace

struct Log::Impl {
  int fd = STDERR_FILENO;
  bool owns_fd = false;
  bool access = true;
  std::mutex mu;
  std::condition_variable cv;
  std::string pending;
  bool stopping = false;
  std::thread flusher;

  void WriteLocked() {
    size_t at = 0;
    while (at < pending.size()) {
      const ssize_t n = ::write(fd, pending.data() + at, pending.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a log that cannot be written must not stop the server
      at += static_cast<size_t>(n);
    }
    pending.clear();
  }
};

Result<std::unique_ptr<Log>> Log::Open(const std::string& path, bool access) {
  auto impl = std::make_unique<Impl>();
  impl->access = access;
  if (!path.empty()) {
    impl->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (impl->fd < 0) {
      return UnavailableError("cannot open the log " + path + ": " + std::strerror(errno));
    }
    impl->owns_fd = true;
  }
  Impl* im = impl.get();
  im->flusher = std::thread([im] {
    std::unique_lock<std::mutex> lock(im->mu);
    while (!im->stopping) {
      im->cv.wait_for(lock, kFlushEvery);
      im->WriteLocked();
    }
  });
  return std::unique_ptr<Log>(new Log(std::move(impl)));
}

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Log::~Log() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->flusher.join();
  impl_->WriteLocked();
  if (impl_->owns_fd) ::close(impl_->fd);
}

void Log::Request(const Access& a) {
  if (!impl_->access) return;
  // One buffer per thread, reused: the access line costs no allocation per request.
  thread_local std::string line;
  line.clear();
  line += a.client.empty() ? std::string_view("-") : a.client;
  line += " - - [";
  line += ClfTime();
  line += "] \"";
  AppendQuoted(line, a.method);
  line += ' ';
  AppendQuoted(line, a.target);
  line += a.version == 10 ? " HTTP/1.0\" " : " HTTP/1.1\" ";
  line += std::to_string(a.status);
  line += ' ';
  line += std::to_string(a.bytes);
  line += " \"";
  AppendQuoted(line, a.referer);
  line += "\" \"";
  AppendQuoted(line, a.user_agent);
  char tail[32];
  std::snprintf(tail, sizeof tail, "\" %.6f ", a.seconds);
  line += tail;
  line += a.route;
  line += '\n';
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->pending += line;
  if (impl_->pending.size() >= kFlushAt) impl_->WriteLocked();
}

void Log::Error(std::string_view what, std::string_view detail) {
  std::string line = FormatRfc3339(NowMicros());
  line += " error ";
  line += what;
  line += ": ";
  for (char c : ValidUtf8(detail)) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->pending += line;
  impl_->WriteLocked();
}

void Log::Flush() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->WriteLocked();
}

}  // namespace stillpost::server
