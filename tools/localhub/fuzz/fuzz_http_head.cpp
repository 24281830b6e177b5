// libFuzzer target: localhub's request head parser, body framing and chunk sizes (all that a
// client's bytes go through before a handler sees them). Input: a head, then optionally
// "\r\n\r\n" and chunk-size lines.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    size_t end = in.find("\r\n\r\n");
    std::string_view head = in.substr(0, end);
    if (auto h = localhub::parse_request_head(head)) {
        auto framing = localhub::body_framing(*h);
        if (framing && framing->kind == localhub::Framing::length && framing->length > (1ull << 62)) __builtin_trap();
    }
    if (end != std::string_view::npos) {
        std::string_view rest = in.substr(end + 4);
        while (!rest.empty()) {
            size_t e = rest.find("\r\n");
            auto n = localhub::parse_chunk_size(rest.substr(0, e));
            if (n && *n >= (1ull << 60)) __builtin_trap();  // at most 15 hex digits
            if (e == std::string_view::npos) break;
            rest.remove_prefix(e + 2);
        }
    }
    return 0;
}
