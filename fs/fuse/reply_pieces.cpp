#include "fs/fuse/reply_pieces.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "fs/common/unique_fd.hpp"

namespace hubfs::fs {

bool splice_fits(size_t bytes, size_t buffers) {
    int fds[2];
    if (::pipe(fds) != 0) return false;
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t header = 16;  // struct fuse_out_header
    const size_t need = page * (buffers + 2) + header + bytes;
    return ::fcntl(write_end.get(), F_SETPIPE_SZ, static_cast<int>(need)) >= static_cast<int>(need);
}

void reply_from_pieces(Request& req, const std::vector<ChunkFetcher::Piece>& pieces, uint64_t first,
                       uint64_t chunk_size, uint64_t start, uint64_t end, ChunkFetcher* read_disk) {
    struct Part {
        const ChunkFetcher::Piece* piece;
        uint64_t from, length;  // within the piece's chunk
    };
    std::vector<Part> parts;
    for (size_t k = 0; k < pieces.size(); ++k) {
        const auto& p = pieces[k];
        const uint64_t chunk_start = (first + k) * chunk_size;
        const uint64_t length = p.mem ? p.mem->size() : p.disk.length;
        const uint64_t from = std::max(start, chunk_start) - chunk_start;
        const uint64_t to = std::min<uint64_t>(end, chunk_start + length) - chunk_start;
        if (to > from) parts.push_back(Part{&p, from, to - from});
    }
    const bool splice = !read_disk && std::any_of(parts.begin(), parts.end(), [](const Part& part) { return !part.piece->mem; });
    if (!splice) {
        // One writev of iovecs into the chunks (libfuse would copy a bufvec of several memory
        // buffers into a fresh one first); disk bytes read into reused buffers, held until then.
        std::vector<ChunkFetcher::Chunk> held;
        std::vector<iovec> iov;
        for (const Part& part : parts) {
            const char* data = nullptr;
            if (part.piece->mem) {
                data = part.piece->mem->data() + part.from;
            } else {
                auto bytes = read_disk->read_span(part.piece->disk, part.from, part.length);
                if (!bytes) return (void)req.err(EIO);
                data = bytes->data();
                held.push_back(std::move(bytes));
            }
            iov.push_back({const_cast<char*>(data), static_cast<size_t>(part.length)});
        }
        return (void)req.iov(iov.data(), static_cast<int>(iov.size()));
    }
    // fuse_bufvec ends in a one-element array: room for one buffer per part.
    const size_t n = std::max<size_t>(parts.size(), 1);
    std::unique_ptr<char[]> storage(new char[sizeof(fuse_bufvec) + (n - 1) * sizeof(fuse_buf)]());
    auto* bufv = new (storage.get()) fuse_bufvec{};
    bufv->count = 0;
    for (const Part& part : parts) {
        fuse_buf& b = bufv->buf[bufv->count++];
        b = fuse_buf{};
        b.size = static_cast<size_t>(part.length);
        if (part.piece->mem) {
            b.mem = const_cast<char*>(part.piece->mem->data() + part.from);
        } else {
            b.flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
            b.fd = part.piece->disk.fd;
            b.pos = static_cast<off_t>(part.piece->disk.offset + part.from);
        }
    }
    // No FUSE_BUF_SPLICE_MOVE: moving would take the pages out of the blob file's page cache.
    req.data(bufv, static_cast<fuse_buf_copy_flags>(0));
}

void reply_from_chunks(Request& req, const std::vector<ChunkFetcher::Chunk>& chunks, uint64_t first,
                       uint64_t chunk_size, uint64_t start, uint64_t end) {
    std::vector<ChunkFetcher::Piece> pieces;
    for (const auto& c : chunks) pieces.push_back(ChunkFetcher::Piece{c, {}});
    reply_from_pieces(req, pieces, first, chunk_size, start, end, nullptr);
}

}  // namespace hubfs::fs
