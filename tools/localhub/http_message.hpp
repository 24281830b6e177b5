// HTTP request and response as localhub's handlers see them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace localhub {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Reads a request body incrementally; owned by the connection.
class BodyReader {
public:
    virtual ~BodyReader() = default;
    // Calls sink with consecutive pieces until the body ends; false from sink stops early.
    // Returns false if the body could not be read in full (client went away, bad framing).
    virtual bool read(const std::function<bool(const char*, size_t)>& sink) = 0;
    // Declared length, if the client sent Content-Length.
    virtual std::optional<uint64_t> declared_length() const = 0;
};

struct HttpRequest {
    std::string listener;     // "api" or "blob"
    std::string method;
    std::string target;       // as sent: path plus query, still percent-encoded
    std::string raw_path;     // target before '?', still percent-encoded
    HeaderList headers;       // names lower-cased
    HeaderList params;        // query parameters, decoded, in order
    BodyReader* body = nullptr;

    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    std::string param(std::string_view name) const;
    std::vector<std::string> params_named(std::string_view name) const;
    bool has_param(std::string_view name) const;
};

// A body served from a file region; sent with sendfile when no emulation applies.
struct FileRegion {
    std::string path;
    uint64_t offset = 0;
    uint64_t length = 0;
};

// A body made piece by piece after the handler returns, its length known up front (a git blob
// read as a stream). produce calls sink with consecutive pieces; false: stop (client gone).
struct StreamBody {
    uint64_t length = 0;
    std::function<bool(const std::function<bool(const char*, size_t)>& sink)> produce;
    bool until_close = false;  // length unknown (a log followed live): no Content-Length, the connection closes at the end
};

struct HttpResponse {
    int status = 200;
    HeaderList headers;
    std::string body;
    std::optional<FileRegion> file;
    std::optional<StreamBody> stream;

    void set_header(std::string name, std::string value);
    std::string header(std::string_view name) const;
};

std::string_view reason_phrase(int status);

}  // namespace localhub
