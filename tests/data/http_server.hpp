#pragma once
// A tiny HTTP/1.0 server on 127.0.0.1 for the download tests: it serves
// bodies from memory, answers 404 for anything else, and can misbehave on
// purpose (wrong body, a Content-Length it does not honour, a stall).
// One connection at a time on a background thread; the destructor stops it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nabla::test {

class HttpServer {
public:
    struct Response {
        Response(int status_, std::string body_, std::optional<std::size_t> length = std::nullopt,
                 int stall = 0)
            : status(status_), body(std::move(body_)), content_length(length), stall_ms(stall) {}
        Response() = default;
        int status = 200;
        std::string body;
        // Advertised length when it should differ from body.size().
        std::optional<std::size_t> content_length;
        // Send half the body, then wait this long before closing.
        int stall_ms = 0;
        // No Content-Length header (the body ends when the connection closes).
        bool omit_length = false;
        // A drip: drip_bytes every drip_ms milliseconds instead of all at once.
        std::size_t drip_bytes = 0;
        int drip_ms = 0;
    };

    HttpServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) throw std::runtime_error("HttpServer: socket() failed");
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr = loopback(0);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 16) != 0) {
            ::close(fd_);
            throw std::runtime_error("HttpServer: cannot listen on 127.0.0.1");
        }
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~HttpServer() {
        running_ = false;
        thread_.join();
        ::close(fd_);
    }
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void serve(const std::string& path, Response r) {
        std::lock_guard<std::mutex> lock(mu_);
        routes_[path] = std::move(r);
    }
    void serve(const std::string& path, std::string body) { serve(path, Response{200, std::move(body)}); }

    int port() const { return port_; }
    // "http://127.0.0.1:PORT/" + path
    std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/" + path;
    }
    // The request paths seen so far, in order.
    std::vector<std::string> requests() const {
        std::lock_guard<std::mutex> lock(mu_);
        return requests_;
    }

    // A port on 127.0.0.1 where nothing listens (connections are refused).
    static int closed_port() {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = loopback(0);
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        ::close(fd);
        return ntohs(addr.sin_port);
    }

private:
    static sockaddr_in loopback(int port) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return addr;
    }

    void run() {
        while (running_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0) continue;
            handle(client);
            ::close(client);
        }
    }

    // The request head, or "" if the client went away first.
    static std::string read_head(int client) {
        std::string head;
        char buf[1024];
        while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
            pollfd p{client, POLLIN, 0};
            if (::poll(&p, 1, 2000) <= 0) return "";
            ssize_t n = ::recv(client, buf, sizeof buf, 0);
            if (n <= 0) return "";
            head.append(buf, static_cast<std::size_t>(n));
        }
        return head;
    }

    // False when the client went away.
    static bool send_all(int client, const char* data, std::size_t n) {
        while (n > 0) {
            ssize_t k = ::send(client, data, n, MSG_NOSIGNAL);
            if (k <= 0) return false;
            data += k;
            n -= static_cast<std::size_t>(k);
        }
        return true;
    }

    void drip(int client, const Response& r) {
        for (std::size_t at = 0; running_ && at < r.body.size(); at += r.drip_bytes) {
            if (!send_all(client, r.body.data() + at, std::min(r.drip_bytes, r.body.size() - at)))
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(r.drip_ms));
        }
    }

    void handle(int client) {
        std::string head = read_head(client);
        std::size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
        if (sp1 == std::string::npos || sp2 == std::string::npos) return;
        std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
        Response r{404, "<html><body>404 Not Found</body></html>"};
        {
            std::lock_guard<std::mutex> lock(mu_);
            requests_.push_back(path);
            if (auto it = routes_.find(path); it != routes_.end()) r = it->second;
        }
        std::string reply = "HTTP/1.0 " + std::to_string(r.status) +
                            (r.status < 400 ? " OK" : " Error") + "\r\n" +
                            (r.omit_length ? std::string()
                                           : "Content-Length: " +
                                                 std::to_string(r.content_length.value_or(r.body.size())) +
                                                 "\r\n") +
                            "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
        if (!send_all(client, reply.data(), reply.size())) return;
        if (r.drip_bytes > 0) return drip(client, r);
        std::size_t first = r.stall_ms > 0 ? r.body.size() / 2 : r.body.size();
        send_all(client, r.body.data(), first);
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(r.stall_ms);
        while (running_ && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }

    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> running_{true};
    mutable std::mutex mu_;
    std::map<std::string, Response> routes_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

}  // namespace nabla::test
