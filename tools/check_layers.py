#!/usr/bin/env python3
"""Checks that every #include of hubfs's own code points down or sideways in the layers.

Layers, top to bottom (ARCHITECTURE.md):
  the program (src/hubfs)
  > the FUSE adapter (fs/fuse)
  > the file system's concerns, side by side (fs/control, fs/read, fs/write, fs/hub)
  > what they share (files directly in fs/: the Remote seam, the path grammar, errno mapping)
  > the ground (fs/cache, fs/common)
  > the Hub client (api).
Within fs/, only the Hub adapters (fs/hub) include api/; the files in ALLOWED_API_INCLUDES are the
known exceptions, each with its reason. The rest of fs/ reaches the Hub through the interfaces it
owns (fs/remote.hpp, fs/writer.hpp, fs/control/*_remote.hpp), so no fs/ file outside fs/hub includes
fs/hub: the adapters are wired only in the program (src/hubfs/main.cpp). tools/localhub and tests are not
layered (localhub is a separate oracle; it borrows one header-only utility, fs/common/unique_fd.hpp).

An include of a higher layer, or of api/ from the wrong place, is printed as file:line and makes
the exit status 1.

Usage: tools/check_layers.py [repository root]   (default: the parent of tools/)
"""
import pathlib
import re
import sys

# Folder (relative to the root) -> rank; a file may include ranks <= its own. Longest prefix wins.
LAYERS = {
    "src/hubfs": 5,
    "fs/fuse": 4,
    "fs/control": 3,
    "fs/read": 3,
    "fs/write": 3,
    "fs/hub": 3,
    "fs": 2,
    "fs/cache": 1,
    "fs/common": 1,
    "api": 0,
}
# fs/ files that may include api/ (besides fs/hub), and why.
ALLOWED_API_INCLUDES = {
    "fs/remote.hpp": "fs::RepoType is an alias of api::RepoType",
    "fs/write/staging_area.cpp": "the journal's keys for long paths are sha256 hashes (api/digest), on disk",
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
SOURCES = (".cpp", ".hpp", ".h", ".cc")


def layer_of(relative):
    best = None
    for folder in LAYERS:
        if relative.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def target_of(root, including_folder, target):
    # A bare name is first looked up next to the including file (as the compiler does).
    if (root / including_folder / target).exists():
        return (root / including_folder / target).relative_to(root).as_posix()
    if (root / target).exists():
        return target
    return None  # a system or third-party header


def violations(root):
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        here = layer_of(relative)
        if here is None or path.suffix not in SOURCES or not path.is_file():
            continue
        if relative.startswith(("build", "tools/", "tests/")):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = target_of(root, path.parent.relative_to(root).as_posix(), match.group(1))
            there = layer_of(target) if target else None
            if there is None:
                continue
            if there == "fs/hub" and here.startswith("fs") and here != "fs/hub":
                found.append(f"{relative}:{number}: includes \"{match.group(1)}\" (fs/hub is wired only in src/hubfs)")
            elif LAYERS[there] > LAYERS[here]:
                found.append(f"{relative}:{number}: includes \"{match.group(1)}\" ({there} is above {here})")
            elif (there == "api" and here.startswith("fs") and here != "fs/hub"
                  and relative not in ALLOWED_API_INCLUDES):
                found.append(f"{relative}:{number}: includes \"{match.group(1)}\" (only fs/hub includes api/)")
    return found


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    found = violations(root.resolve())
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} include(s) against the layers", file=sys.stderr)
        return 1
    print("every include points down or sideways")
    return 0


if __name__ == "__main__":
    sys.exit(main())
