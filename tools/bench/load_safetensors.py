#!/usr/bin/env python3
"""Loads a safetensors file the way the safetensors library does: mmap it, parse the 8-byte header
length and the JSON header, then copy every tensor out of the mapping into the model's
parameters (here one buffer, allocated once and reused: allocating fresh memory per tensor would
measure the allocator, not the reads). Tensors in header order (file order), or with --by-name in
name order (a loader iterating `safe_open(...).keys()`). Prints the seconds from open to the last
byte copied (the interpreter's start is not the loader's I/O), the tensors and the bytes.
usage: load_safetensors.py [--by-name] FILE"""
import json
import mmap
import os
import struct
import sys
import time


def main():
    by_name = sys.argv[1] == "--by-name"
    t0 = time.perf_counter()
    fd = os.open(sys.argv[-1], os.O_RDONLY)
    mapped = mmap.mmap(fd, os.fstat(fd).st_size, prot=mmap.PROT_READ)
    view = memoryview(mapped)
    (n,) = struct.unpack("<Q", view[:8])
    header = json.loads(bytes(view[8:8 + n]))
    tensors = [(name, info["data_offsets"]) for name, info in header.items() if name != "__metadata__"]
    if by_name:
        tensors.sort()
    params = bytearray(max(end - begin for _, (begin, end) in tensors))
    base, total = 8 + n, 8 + n
    for _, (begin, end) in tensors:
        params[:end - begin] = view[base + begin:base + end]
        total += end - begin
    view.release()
    mapped.close()
    os.close(fd)
    print(f"{time.perf_counter() - t0:.4f} s, {len(tensors)} tensors, {total} bytes")


if __name__ == "__main__":
    main()
