#!/usr/bin/env python3
"""Writes a safetensors file of about SIZE_MIB of random bytes: an 8-byte little-endian header
length, a JSON header (dtype, shape, data_offsets per tensor), then the data. Tensors of mixed
sizes and dtypes, as a transformer's layers: big F16 matrices, small F32 norms and biases. As the
safetensors library writes them, the data is laid out by dtype (wider first) then name, and the
header lists the tensors in that order; so header order is file order, and name order (what
`safe_open(...).keys()` returns) goes back and forth between the F32 and the F16 regions.
usage: make_safetensors.py SIZE_MIB OUT"""
import json
import os
import struct
import sys

WIDTH = {"F32": 4, "F16": 2}


def tensors(size_mib):
    """(name, dtype, shape) of layers up to about SIZE_MIB; a layer is 24 MiB."""
    dim, out = 1024, []
    layers = max(1, size_mib * 2**20 // (4 * dim * dim * 2 + 2 * dim * 4 * dim * 2))
    out.append(("embed.weight", "F16", [4096, dim]))
    for i in range(layers):
        p = f"layers.{i:03d}"
        for w in ("q", "k", "v", "o"):
            out.append((f"{p}.attn.{w}.weight", "F16", [dim, dim]))
            out.append((f"{p}.attn.{w}.bias", "F32", [dim]))
        out.append((f"{p}.mlp.up.weight", "F16", [4 * dim, dim]))
        out.append((f"{p}.mlp.down.weight", "F16", [dim, 4 * dim]))
        out.append((f"{p}.norm.weight", "F32", [dim]))
    return out


def main():
    size_mib, path = int(sys.argv[1]), sys.argv[2]
    items = tensors(size_mib)
    layout = sorted(items, key=lambda t: (-WIDTH[t[1]], t[0]))
    header, offset = {}, 0
    for name, dtype, shape in layout:
        n = WIDTH[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # the data starts 8-byte aligned, as the format recommends
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob)
        left = offset
        while left:
            n = min(left, 16 << 20)
            f.write(os.urandom(n))
            left -= n


if __name__ == "__main__":
    main()
