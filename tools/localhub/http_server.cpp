#include "http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <nlohmann/json.hpp>

#include "http_parser.hpp"
#include "url.hpp"

namespace localhub {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kIoChunk = 256 * 1024;

using Clock = std::chrono::steady_clock;

bool send_all(int fd, const char* data, size_t len) {
    while (len > 0) {
        ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;  // EAGAIN: SO_SNDTIMEO passed without the client taking a byte
        }
        data += n;
        len -= static_cast<size_t>(n);
    }
    return true;
}

// A lingering close: our side is done (FIN), then what the client still sends (the rest of a
// body we refused with 413, say) is read and dropped for a moment, so that it reads our answer
// instead of the reset that closing with unread input would send.
void lingering_close_wait(int fd) {
    ::shutdown(fd, SHUT_WR);
    auto until = Clock::now() + std::chrono::seconds(2);
    char sink[64 * 1024];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        if (left <= 0) return;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return;
        ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// Sends a response body: paced to a bandwidth, and with the body fault drawn for it (reset or
// close after N bytes, stall after N bytes until released, or a trickle of a few bytes a second).
class BodySender {
public:
    BodySender(int fd, uint64_t bandwidth, BodyPlan plan, FaultInjector& faults)
        : fd_(fd), bandwidth_(bandwidth), plan_(plan), faults_(faults), start_(Clock::now()) {}

    bool plain() const { return bandwidth_ == 0 && plan_.kind == BodyFault::none; }
    uint64_t sent() const { return sent_; }
    bool was_reset() const { return reset_; }

    bool send(const char* data, size_t len) {
        while (len > 0) {
            size_t piece = plain() ? len : std::min<size_t>(len, 64 * 1024);
            if (cuts_body()) {
                uint64_t left = plan_.after > sent_ ? plan_.after - sent_ : 0;
                if (left == 0) {
                    if (!trip()) return false;
                    continue;  // a stall was released: the rest goes out as usual
                }
                piece = static_cast<size_t>(std::min<uint64_t>(piece, left));
            }
            bool trickle = plan_.kind == BodyFault::slow && !released_;
            if (trickle) piece = static_cast<size_t>(std::min<uint64_t>(piece, std::max<uint64_t>(1, plan_.rate / 4)));
            pace(piece);
            if (!send_all(fd_, data, piece)) return false;
            sent_ += piece;
            data += piece;
            len -= piece;
            if (trickle) {
                faults_.pause(std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(piece) / static_cast<double>(plan_.rate))));
                if (!faults_.armed()) released_ = true;
            }
        }
        if (plan_.kind == BodyFault::reset && sent_ >= plan_.after) return trip();
        return true;
    }

    bool send_file(int file_fd, uint64_t offset, uint64_t length) {
        if (plain()) {
            off_t off = static_cast<off_t>(offset);
            while (length > 0) {
                ssize_t n = ::sendfile(fd_, file_fd, &off, static_cast<size_t>(std::min<uint64_t>(length, 1 << 30)));
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) return false;
                sent_ += static_cast<uint64_t>(n);
                length -= static_cast<uint64_t>(n);
            }
            return true;
        }
        std::string buf(kIoChunk, '\0');
        while (length > 0) {
            ssize_t n = ::pread(file_fd, buf.data(), static_cast<size_t>(std::min<uint64_t>(length, kIoChunk)),
                                static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            if (!send(buf.data(), static_cast<size_t>(n))) return false;
            offset += static_cast<uint64_t>(n);
            length -= static_cast<uint64_t>(n);
        }
        return true;
    }

private:
    bool cuts_body() const {
        return !released_ && (plan_.kind == BodyFault::reset || plan_.kind == BodyFault::stall ||
                              plan_.kind == BodyFault::close);
    }
    void pace(size_t next) {
        if (bandwidth_ == 0) return;
        auto due = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                static_cast<double>(sent_ + next) / static_cast<double>(bandwidth_)));
        std::this_thread::sleep_until(due);
    }
    // The body fault's moment has come. Returns true only for a stall that was released.
    bool trip() {
        switch (plan_.kind) {
            case BodyFault::reset: {
                // SO_LINGER with a zero timeout makes close() send RST: the client sees a reset, not EOF.
                linger l{1, 0};
                ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                reset_ = true;
                return false;
            }
            case BodyFault::stall:
                if (!faults_.hold(fd_)) return false;
                released_ = true;
                return true;
            default:  // close: the caller closes the connection, the client sees EOF mid-body
                return false;
        }
    }

    int fd_;
    uint64_t bandwidth_;
    BodyPlan plan_;
    FaultInjector& faults_;
    Clock::time_point start_;
    uint64_t sent_ = 0;
    bool reset_ = false;
    bool released_ = false;
};

// One client connection: buffered input, request head parsing, body framing.
class Connection final : public BodyReader {
public:
    Connection(int fd, const ServerLimits& limits) : fd_(fd), limits_(limits) {}

    // Reads the next request head; false when the client closed, timed out or sent garbage
    // (bad_request_ then says which status to answer).
    bool read_head(HttpRequest& req) {
        size_t end;
        // Idle until a byte of the next request comes, then the whole head has request_timeout.
        deadline_ = Clock::now() + std::chrono::seconds(limits_.idle_timeout_s);
        bool started = false;
        for (;;) {
            // Empty lines before a request line are ignored (RFC 9112 §2.2).
            while (buf_.compare(pos_, 2, "\r\n") == 0) pos_ += 2;
            if ((end = buf_.find("\r\n\r\n", pos_)) != std::string::npos) break;
            if (!started && buf_.size() > pos_) {
                started = true;
                deadline_ = Clock::now() + std::chrono::seconds(limits_.request_timeout_s);
            }
            if (buf_.size() - pos_ > kMaxHead) {
                bad_request_ = 431;
                return false;
            }
            if (!fill()) {
                if (timed_out_ && (started || buf_.size() > pos_)) bad_request_ = 408;
                return false;
            }
        }
        std::string_view head(buf_.data() + pos_, end - pos_);
        pos_ = end + 4;
        auto parsed = parse_request_head(head);
        auto framing = parsed ? body_framing(*parsed) : std::nullopt;
        if (!framing) {
            bad_request_ = 400;
            return false;
        }
        req.method = std::move(parsed->method);
        req.target = std::move(parsed->target);
        req.headers = std::move(parsed->headers);
        version_ = std::move(parsed->version);
        size_t q = req.target.find('?');
        req.raw_path = req.target.substr(0, q);
        req.params = q == std::string::npos ? HeaderList{} : parse_query(std::string_view(req.target).substr(q + 1));

        body_failed_ = false;
        body_started_ = false;
        continue_sent_ = false;
        expect_continue_ = lower(req.header("expect")) == "100-continue";
        switch (framing->kind) {
            case Framing::chunked:
                mode_ = Mode::chunked;
                chunk_left_ = 0;
                chunked_done_ = false;
                break;
            case Framing::length:
                mode_ = Mode::length;
                remaining_ = framing->length;
                break;
            case Framing::none:
                mode_ = Mode::none;
                remaining_ = 0;
                break;
        }
        declared_ = mode_ == Mode::length ? std::optional<uint64_t>(remaining_)
                                          : (mode_ == Mode::none ? std::optional<uint64_t>(0) : std::nullopt);
        keep_alive_ = version_ == "HTTP/1.1" ? lower(req.header("connection")) != "close"
                                             : lower(req.header("connection")) == "keep-alive";
        return true;
    }

    bool read(const std::function<bool(const char*, size_t)>& sink) override {
        if (!send_continue()) return false;
        // The body's clock starts when a handler first asks for it (not while a request is held).
        if (!body_started_) {
            body_started_ = true;
            body_start_ = Clock::now();
            body_received_ = 0;
        }
        if (mode_ == Mode::length) {
            while (remaining_ > 0) {
                if (pos_ >= buf_.size() && !fill()) return fail();
                size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, buf_.size() - pos_));
                const char* p = buf_.data() + pos_;
                pos_ += n;
                remaining_ -= n;
                if (!sink(p, n)) return false;
                compact();  // only after the sink used p
            }
            mode_ = Mode::none;
            return true;
        }
        if (mode_ == Mode::chunked) {
            while (!chunked_done_) {
                if (chunk_left_ == 0) {
                    std::string line;
                    if (!read_line(line)) return fail();
                    auto size = parse_chunk_size(line);
                    if (!size) return fail();
                    chunk_left_ = *size;
                    if (chunk_left_ == 0) {
                        do {  // trailers up to the blank line
                            if (!read_line(line)) return fail();
                        } while (!line.empty());
                        chunked_done_ = true;
                        break;
                    }
                }
                if (pos_ >= buf_.size() && !fill()) return fail();
                size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, buf_.size() - pos_));
                std::string piece = buf_.substr(pos_, n);
                pos_ += n;
                chunk_left_ -= n;
                if (chunk_left_ == 0) {
                    std::string crlf;
                    if (!read_line(crlf) || !crlf.empty()) return fail();
                }
                compact();
                if (!sink(piece.data(), piece.size())) return false;
            }
            mode_ = Mode::none;
            return true;
        }
        return true;
    }

    std::optional<uint64_t> declared_length() const override { return declared_; }

    // After the handler: drains a small unread body so the connection can be reused.
    bool ready_for_next() {
        if (body_failed_ || !keep_alive_) return false;
        if (mode_ == Mode::none) return true;
        if (expect_continue_ && !continue_sent_) return false;  // client may not send it at all
        if (mode_ == Mode::length && remaining_ > (1 << 20)) return false;
        return read([](const char*, size_t) { return true; });
    }

    bool keep_alive() const { return keep_alive_; }
    int bad_request() const { return bad_request_; }

private:
    enum class Mode { none, length, chunked };

    // Waits for more bytes until the deadline: the current request's, or for a body, its grace
    // plus what it has sent so far at the minimum rate (a trickle cannot hold a thread forever).
    bool fill() {
        compact();
        if (body_started_ && mode_ != Mode::none) {
            double allowance = static_cast<double>(body_received_) / static_cast<double>(std::max<uint64_t>(1, limits_.min_body_rate));
            deadline_ = body_start_ + std::chrono::seconds(limits_.request_timeout_s) +
                        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(allowance));
        }
        char tmp[kIoChunk];
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
            if (left <= 0) {
                timed_out_ = true;
                return false;
            }
            pollfd p{fd_, POLLIN, 0};
            int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
            if (r < 0 && errno != EINTR) return false;
            if (r <= 0) continue;
            ssize_t n = ::recv(fd_, tmp, sizeof tmp, MSG_DONTWAIT);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) return false;
            buf_.append(tmp, static_cast<size_t>(n));
            if (body_started_) body_received_ += static_cast<uint64_t>(n);
            return true;
        }
    }
    void compact() {
        if (pos_ > 0 && pos_ >= buf_.size() / 2) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
    }
    bool read_line(std::string& line) {
        size_t e;
        while ((e = buf_.find("\r\n", pos_)) == std::string::npos) {
            if (buf_.size() - pos_ > 4096 || !fill()) return false;
        }
        line = buf_.substr(pos_, e - pos_);
        pos_ = e + 2;
        return true;
    }
    bool send_continue() {
        if (expect_continue_ && !continue_sent_) {
            continue_sent_ = true;
            static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
            return send_all(fd_, kContinue, sizeof kContinue - 1);
        }
        return true;
    }
    bool fail() {
        body_failed_ = true;
        return false;
    }

    int fd_;
    const ServerLimits& limits_;
    Clock::time_point deadline_;
    bool timed_out_ = false;
    bool body_started_ = false;
    Clock::time_point body_start_;
    uint64_t body_received_ = 0;
    std::string buf_;
    size_t pos_ = 0;
    std::string version_;
    Mode mode_ = Mode::none;
    uint64_t remaining_ = 0;
    uint64_t chunk_left_ = 0;
    bool chunked_done_ = false;
    bool expect_continue_ = false;
    bool continue_sent_ = false;
    bool body_failed_ = false;
    bool keep_alive_ = true;
    int bad_request_ = 0;
    std::optional<uint64_t> declared_;
};

void error_body(HttpResponse& res, int status, const std::string& message) {
    res = HttpResponse{};
    res.status = status;
    res.set_header("Content-Type", "application/json");
    res.body = nlohmann::json{{"error", message}}.dump();
}

}  // namespace

HttpServer::HttpServer(std::string listener, Handler handler, Emulation emulation, ServerLimits limits,
                       FaultInjector& faults, RequestLog& log)
    : listener_(std::move(listener)), handler_(std::move(handler)), emulation_(emulation), limits_(limits),
      faults_(faults), log_(log) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::listen(const std::string& host, int port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
        throw std::runtime_error("not an IPv4 address: " + host);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                 std::strerror(errno));
    if (::listen(fd.get(), 512) != 0) throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    listen_fd_ = std::move(fd);
    return ntohs(addr.sin_port);
}

void HttpServer::start() {
    accept_thread_ = std::thread([this] { accept_loop(); });
}

void HttpServer::stop() {
    if (stopping_.exchange(true)) return;
    if (listen_fd_) ::shutdown(listen_fd_.get(), SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::unique_lock lock(mutex_);
    for (int c : connections_) ::shutdown(c, SHUT_RDWR);
    idle_.wait(lock, [this] { return connections_.empty(); });
}

void HttpServer::accept_loop() {
    while (!stopping_) {
        int c = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            if (stopping_) return;
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
            // Out of descriptors or memory: the pending connection stays queued and accept would
            // fail again at once. Back off instead of spinning until something is freed.
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM || errno == EPROTO ||
                errno == EPERM) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                continue;
            }
            return;  // the listening socket was shut down (EINVAL) or is unusable
        }
        int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval tv{limits_.send_timeout_s, 0};
        ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        {
            std::lock_guard lock(mutex_);
            if (stopping_) {
                ::close(c);
                return;
            }
            if (connections_.size() >= limits_.max_connections) {
                // Full: a short answer from this thread (a fresh socket's buffer takes it at once).
                static constexpr char kBusy[] =
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                    "Connection: close\r\nContent-Length: 37\r\n\r\n{\"error\":\"too many open connections\"}";
                ::send(c, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                ::shutdown(c, SHUT_WR);
                ::close(c);
                continue;
            }
            connections_.insert(c);
        }
        try {
            std::thread([this, c] { serve(c); }).detach();
        } catch (const std::system_error&) {
            // No thread to be had (EAGAIN): drop this client, keep accepting the next ones.
            std::lock_guard lock(mutex_);
            connections_.erase(c);
            ::close(c);
            if (connections_.empty()) idle_.notify_all();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

void HttpServer::serve(int fd) {
    Connection conn(fd, limits_);
    bool was_reset = false;
    for (;;) {
        HttpRequest req;
        req.listener = listener_;
        if (!conn.read_head(req)) {
            if (conn.bad_request()) {
                HttpResponse res;
                error_body(res, conn.bad_request(), "malformed request");
                std::string head = "HTTP/1.1 " + std::to_string(res.status) + " " +
                                   std::string(reason_phrase(res.status)) +
                                   "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                                   std::to_string(res.body.size()) + "\r\n\r\n" + res.body;
                send_all(fd, head.data(), head.size());
            }
            break;
        }
        req.body = &conn;
        auto started = Clock::now();
        if (emulation_.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(emulation_.latency_ms));

        bool faultable = faults_.applies(listener_, req.raw_path);
        std::string fault_name;
        if (faultable && faults_.draw_stall()) {
            fault_name = "stall";
            // A Hub that took the request and never answers; released when faults are disarmed.
            if (!faults_.hold(fd)) {
                RequestRecord rec;
                rec.listener = listener_;
                rec.method = req.method;
                rec.target = req.target;
                rec.range = req.header("range");
                rec.ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
                rec.auth = req.has_header("authorization");
                rec.fault = "stall";
                log_.write(rec);
                break;
            }
        }

        HttpResponse res;
        if (auto status = faultable ? faults_.draw_status() : std::nullopt) {
            fault_name = std::to_string(*status);
            error_body(res, *status, "injected fault");
            if (*status == 429) res.set_header("Retry-After", std::to_string(faults_.retry_after_s()));
        } else {
            try {
                handler_(req, res);
            } catch (const std::exception& e) {
                error_body(res, 500, e.what());
            }
        }

        UniqueFd file_fd;
        uint64_t body_len = res.body.size();
        if (res.file) {
            file_fd.reset(::open(res.file->path.c_str(), O_RDONLY | O_CLOEXEC));
            if (!file_fd) error_body(res, 500, "cannot open stored object");
            else body_len = res.file->length;
        }
        if (!res.file) body_len = res.stream ? res.stream->length : res.body.size();
        bool head_only = req.method == "HEAD";
        bool until_close = res.stream && res.stream->until_close;
        bool keep = conn.ready_for_next() && !stopping_ && !until_close;

        std::string head = "HTTP/1.1 " + std::to_string(res.status) + " " + std::string(reason_phrase(res.status)) + "\r\n";
        for (const auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
        if (res.header("Content-Length").empty() && !until_close) head += "Content-Length: " + std::to_string(body_len) + "\r\n";
        head += keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";

        BodyPlan plan = faultable && !head_only ? faults_.draw_body(listener_, req.method, res.status) : BodyPlan{};
        BodySender sender(fd, emulation_.bandwidth, plan, faults_);
        bool ok = send_all(fd, head.data(), head.size());
        if (ok && !head_only) {
            if (res.file) ok = sender.send_file(file_fd.get(), res.file->offset, res.file->length);
            else if (res.stream) {
                try {  // a storage error half-way: the body ends early, the connection closes
                    ok = res.stream->produce([&](const char* p, size_t n) { return sender.send(p, n); });
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "localhub: %s %s: %s\n", req.method.c_str(), req.target.c_str(), e.what());
                    ok = false;
                }
            }
            else ok = sender.send(res.body.data(), res.body.size());
        }

        RequestRecord rec;
        rec.listener = listener_;
        rec.method = req.method;
        rec.target = req.target;
        rec.range = req.header("range");
        rec.status = res.status;
        rec.bytes = sender.sent();
        rec.ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        rec.auth = req.has_header("authorization");
        rec.fault = plan.kind == BodyFault::none ? fault_name : plan.name();
        log_.write(rec);

        was_reset = sender.was_reset();
        if (!ok || !keep) break;
    }
    if (!was_reset) lingering_close_wait(fd);
    std::lock_guard lock(mutex_);
    connections_.erase(fd);
    ::close(fd);
    if (connections_.empty()) idle_.notify_all();
}

}  // namespace localhub
