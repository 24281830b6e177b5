#!/usr/bin/env python3
"""Reads a safetensors file the way a loader does: the 8-byte header length, the JSON header,
then every tensor with one pread each: in header order, or with --by-name in name order (as a
loader iterating `safe_open(...).keys()` does). Prints the seconds from open to the last byte
(the interpreter's start is not the loader's I/O), the tensors and the bytes read.
usage: load_safetensors.py [--by-name] FILE"""
import json
import os
import struct
import sys
import time


def main():
    by_name = sys.argv[1] == "--by-name"
    t0 = time.perf_counter()
    fd = os.open(sys.argv[-1], os.O_RDONLY)
    (n,) = struct.unpack("<Q", os.pread(fd, 8, 0))
    header = json.loads(os.pread(fd, n, 8))
    base, total, count = 8 + n, 8 + n, 0
    for name, info in sorted(header.items()) if by_name else header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        got = os.pread(fd, end - begin, base + begin)
        if len(got) != end - begin:
            sys.exit(f"{name}: short read {len(got)} of {end - begin}")
        total += len(got)
        count += 1
    os.close(fd)
    print(f"{time.perf_counter() - t0:.4f} s, {count} tensors, {total} bytes")


if __name__ == "__main__":
    main()
