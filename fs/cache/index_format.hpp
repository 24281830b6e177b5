// How the cache's LMDB databases encode keys and values. Integers in keys are big-endian so
// LMDB's byte order is numeric order; integers in values are little-endian.
//
//   chunks    <id> 0x00 <index:be64>       -> <xxh3:le64> <length:le32>
//   contents  <id>                         -> <total_size:le64> <cached_bytes:le64> <atime_ms:le64>
//   lru       <atime_ms:be64> <id>         -> (empty)        one entry per content, oldest first
//   state     "format" | "chunk_size" | "total_bytes" -> le32 | le32 | le64
//   meta      <key>  (keys up to the LMDB key limit)  -> <value>
//   meta_long <xxh128 of key>              -> <key length:le32> <key> <value>
//   stamps    <id>                         -> <boot:le64> <ctime_ns:le64>   (checked_chunks.hpp)
//
// The 0x00 separator keeps one id's chunk keys contiguous and apart from any longer id.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace hubfs::cache::format {

inline constexpr uint32_t kVersion = 1;

inline void append_be64(std::string& s, uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline uint64_t read_be64(std::string_view s) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
    return v;
}
inline void append_le(std::string& s, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint64_t read_le(std::string_view s, size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

inline std::string chunk_prefix(std::string_view id) {
    std::string k(id);
    k.push_back('\0');
    return k;
}
inline std::string chunk_key(std::string_view id, uint64_t index) {
    std::string k = chunk_prefix(id);
    append_be64(k, index);
    return k;
}

struct ChunkRecord {
    uint64_t checksum = 0;
    uint32_t length = 0;

    std::string encode() const {
        std::string s;
        append_le(s, checksum, 8);
        append_le(s, length, 4);
        return s;
    }
    static std::optional<ChunkRecord> decode(std::string_view s) {
        if (s.size() != 12) return std::nullopt;
        return ChunkRecord{read_le(s, 0, 8), static_cast<uint32_t>(read_le(s, 8, 4))};
    }
    bool operator==(const ChunkRecord&) const = default;
};

struct ContentRecord {
    uint64_t total_size = 0;
    uint64_t cached_bytes = 0;
    uint64_t atime_ms = 0;

    std::string encode() const {
        std::string s;
        append_le(s, total_size, 8);
        append_le(s, cached_bytes, 8);
        append_le(s, atime_ms, 8);
        return s;
    }
    static std::optional<ContentRecord> decode(std::string_view s) {
        if (s.size() != 24) return std::nullopt;
        return ContentRecord{read_le(s, 0, 8), read_le(s, 8, 8), read_le(s, 16, 8)};
    }
};

// Every chunk recorded for a content was written or checked in boot `boot` (a hash of the boot
// id), and the blob file had change time `ctime_ns` then: see checked_chunks.hpp.
struct Stamp {
    uint64_t boot = 0;
    uint64_t ctime_ns = 0;

    std::string encode() const {
        std::string s;
        append_le(s, boot, 8);
        append_le(s, ctime_ns, 8);
        return s;
    }
    static std::optional<Stamp> decode(std::string_view s) {
        if (s.size() != 16) return std::nullopt;
        return Stamp{read_le(s, 0, 8), read_le(s, 8, 8)};
    }
    bool operator==(const Stamp&) const = default;
};

inline std::string lru_key(uint64_t atime_ms, std::string_view id) {
    std::string k;
    append_be64(k, atime_ms);
    k.append(id);
    return k;
}

inline std::string le_bytes(uint64_t v, int bytes) {
    std::string s;
    append_le(s, v, bytes);
    return s;
}

}  // namespace hubfs::cache::format
