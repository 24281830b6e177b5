#!/usr/bin/env python3
"""Checks that every #include of hubfs's own code points down or sideways in the layers.

Layers, top to bottom: the program (src/hubfs) > the file system (fs) > the ground it stands
on (src/cache, src/common: one layer) > the Hub client (api). An include of a higher layer is
printed as file:line and makes the exit status 1. tools/localhub and tests are not layered.

With --top-level, the layers are the top-level folders of the target layout (src/ > fs/ >
api/): it lists what the move of src/cache and src/common under fs/ has to fix.

Usage: tools/check_layers.py [--top-level] [repository root]   (default: the parent of tools/)
"""
import pathlib
import re
import sys

# Folder (relative to the root) -> rank; a file may include ranks <= its own.
LAYERS = {
    "src/hubfs": 3,
    "fs": 2,
    "src/cache": 1,
    "src/common": 1,
    "api": 0,
}
# The target: src/ holds only the program; the ground moves under fs/.
TOP_LEVEL = {
    "src/hubfs": 3,
    "src/cache": 3,
    "src/common": 3,
    "fs": 2,
    "api": 0,
}
# How include paths name the folders (meson.build: include_directories('.', 'src')).
PREFIXES = {
    "api/": "api",
    "fs/": "fs",
    "cache/": "src/cache",
    "common/": "src/common",
    "hubfs/": "src/hubfs",
    "src/cache/": "src/cache",
    "src/common/": "src/common",
    "src/hubfs/": "src/hubfs",
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
SOURCES = (".cpp", ".hpp", ".h", ".cc")


def layer_of_file(root, path):
    relative = path.relative_to(root).as_posix()
    for folder in LAYERS:
        if relative.startswith(folder + "/"):
            return folder
    return None


def layer_of_include(root, including_folder, target):
    # A bare name is first looked up next to the including file (as the compiler does).
    if (root / including_folder / target).exists():
        return layer_of_file(root, root / including_folder / target)
    for prefix, folder in PREFIXES.items():
        if target.startswith(prefix):
            return folder
    return None  # a system or third-party header


def violations(root, layers):
    found = []
    for folder in LAYERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            here = layer_of_file(root, path)
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target_folder = layer_of_include(root, path.parent.relative_to(root).as_posix(), match.group(1))
                if target_folder and layers[target_folder] > layers[here]:
                    found.append(f"{path.relative_to(root).as_posix()}:{number}: includes "
                                 f"\"{match.group(1)}\" ({target_folder} is above {here})")
    return found


def main():
    args = sys.argv[1:]
    layers = LAYERS
    if args and args[0] == "--top-level":
        layers = TOP_LEVEL
        args = args[1:]
    root = pathlib.Path(args[0] if args else pathlib.Path(__file__).resolve().parent.parent)
    found = violations(root.resolve(), layers)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} upward include(s)", file=sys.stderr)
        return 1
    print("every include points down or sideways")
    return 0


if __name__ == "__main__":
    sys.exit(main())
