#!/usr/bin/env python3
"""Writes a tree of N small files twice: as a local folder, and as the NDJSON body of one Hub
commit that creates the same files (so a benchmark compares the mount against the same tree on
local disk). usage: make_tree.py N LOCAL_DIR COMMIT_BODY"""
import base64
import json
import os
import sys


def main():
    count, local_dir, body_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    per_dir = 200  # 100 folders of 200 files for 20,000: a dataset's shard layout
    with open(body_path, "w") as body:
        body.write(json.dumps({"key": "header", "value": {"summary": f"{count} files"}}) + "\n")
        for i in range(count):
            rel = f"d{i // per_dir:04d}/f{i % per_dir:04d}.txt"
            data = f"file {i}\n".encode()
            path = os.path.join(local_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            value = {"path": rel, "content": base64.b64encode(data).decode(), "encoding": "base64"}
            body.write(json.dumps({"key": "file", "value": value}) + "\n")


if __name__ == "__main__":
    main()
