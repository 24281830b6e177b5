#!/usr/bin/env python3
"""Checks the size rules of the code (ARCHITECTURE.md): no file over 600 lines, no function over 80.

Looks at the C++ sources of src/, fs/ and api/. A function is found roughly, by counting braces:
a `{` at depth 0 of a file, or of a namespace or class body, that closes a line looking like a
signature (it has a `(`, and is not a class, struct, enum, namespace or initializer), opens a
body; its length is the count of lines from the signature's first line to the closing `}`.
Comments and string literals are blanked first so their braces do not count.

Every excess is printed as file:line and makes the exit status 1.

Usage: tools/check_sizes.py [repository root]   (default: the parent of tools/)
"""
import pathlib
import re
import sys

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
FOLDERS = ("src", "fs", "api")
SOURCES = (".cpp", ".hpp", ".h", ".cc")
SCOPE = re.compile(r"\b(namespace|class|struct|union|enum)\b[^;()]*$")
TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|R"([^(]*)\(.*?\)\1"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def blank(text):
    # Comments and literals become spaces (newlines kept, so line numbers hold).
    return TOKEN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def functions(text):
    """Yields (first line, line count, name) of each function body outside another function."""
    code = blank(text)
    stack = []  # per open brace: "scope" (namespace/class body) or "body" or "block"
    start = 0   # offset after the last ; { or } at scope level: where a declaration begins
    for at, ch in enumerate(code):
        if ch == "{":
            head = code[start:at]
            in_scope = all(entry[0] == "scope" for entry in stack)
            if in_scope and SCOPE.search(" ".join(head.split())):
                stack.append(("scope", 0, ""))
            elif in_scope and "(" in head and not head.rstrip().endswith(("=", ",")):
                first = code.count("\n", 0, start + len(head) - len(head.lstrip()))
                name = re.findall(r"([~\w:<>]+)\s*\(", head)
                stack.append(("body", first, name[0] if name else "?"))
            else:
                stack.append(("block", 0, ""))
            start = at + 1
        elif ch == "}":
            if stack:
                kind, first, name = stack.pop()
                if kind == "body":
                    yield first + 1, code.count("\n", 0, at) - first + 1, name
            start = at + 1
        elif ch == ";" and all(entry[0] == "scope" for entry in stack):
            start = at + 1


def excesses(root):
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            text = path.read_text(errors="replace")
            lines = text.count("\n") + (0 if text.endswith("\n") else 1)
            if lines > MAX_FILE_LINES:
                found.append(f"{relative}: {lines} lines (at most {MAX_FILE_LINES})")
            for first, count, name in functions(text):
                if count > MAX_FUNCTION_LINES:
                    found.append(f"{relative}:{first}: {name} is {count} lines (at most {MAX_FUNCTION_LINES})")
    return found


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    found = excesses(root.resolve())
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} file(s) or function(s) over the size rules", file=sys.stderr)
        return 1
    print(f"no file over {MAX_FILE_LINES} lines, no function over {MAX_FUNCTION_LINES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
