// Strict parsing of HTTP/1.1 request heads and body framing (RFC 9112), free of sockets so that
// it can be fuzzed (tools/localhub/fuzz). Anything these refuse is a 400.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http_message.hpp"

namespace localhub {

struct RequestHead {
    std::string method, target, version;
    HeaderList headers;  // names lower-cased, values trimmed
};

// request-line CRLF *( field-line CRLF ), without the final empty line.
std::optional<RequestHead> parse_request_head(std::string_view head);

enum class Framing { none, length, chunked };
struct BodyFraming {
    Framing kind = Framing::none;
    uint64_t length = 0;  // Framing::length
};
// How the body is delimited; nullopt when ambiguous or malformed (both Transfer-Encoding and
// Content-Length, a coding other than chunked, a Content-Length that is not 1*DIGIT, ...).
std::optional<BodyFraming> body_framing(const RequestHead& head);

// 1*DIGIT that fits in 60 bits; no sign, no spaces, no hex.
std::optional<uint64_t> parse_decimal(std::string_view s);
// chunk-size [ chunk-ext ]: 1*HEXDIG (at most 15 digits), then nothing or ";..." (ignored).
std::optional<uint64_t> parse_chunk_size(std::string_view line);

}  // namespace localhub
