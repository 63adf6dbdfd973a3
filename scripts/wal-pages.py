#!/usr/bin/env python3
"""Which tables and indexes a SQLite database's commits write: reads a copy of its WAL file,
groups the frames by commit, names each frame's page by `dbstat`, and prints the pages per
commit of each B-tree, most first.

    python3 scripts/wal-pages.py COPY_OF_WAL DATABASE [TOP]

Copy the WAL while the server writes (`cp chengyun.db-wal /tmp/wal.copy`) and run this on the
copy once the server has stopped (the database then holds every page the copy names). Frames
after the copy's last complete commit are left out; a page `dbstat` does not know (freed since)
counts as `(new page)`.
Used for docs/benchmarks.md ("Where an intake commit's pages go").
"""
import collections
import sqlite3
import struct
import sys

WAL_HEADER = 32
FRAME_HEADER = 24


def commits(wal: bytes):
    """The page size and, for each complete commit, the page numbers it wrote."""
    _magic, _version, page_size, _seq, salt1, salt2, _c1, _c2 = struct.unpack(">8I", wal[:WAL_HEADER])
    offset, current, done = WAL_HEADER, [], []
    while offset + FRAME_HEADER + page_size <= len(wal):
        page, commit_size, s1, s2, _k1, _k2 = struct.unpack(">6I", wal[offset:offset + FRAME_HEADER])
        if (s1, s2) != (salt1, salt2):
            break  # frames of an earlier generation of the WAL
        current.append(page)
        if commit_size:
            done.append(current)
            current = []
        offset += FRAME_HEADER + page_size
    return page_size, done


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    wal_path, database = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 45
    with open(wal_path, "rb") as f:
        page_size, done = commits(f.read())
    if not done:
        sys.exit("no complete commit in the WAL copy")
    owner = {page: name for name, page in sqlite3.connect(database).execute("SELECT name, pageno FROM dbstat")}
    per_tree = collections.Counter(owner.get(page, "(new page)") for commit in done for page in commit)
    frames = sum(len(c) for c in done)
    print(f"page size {page_size} B, {len(done)} commits, {frames} frames, {frames / len(done):.1f} pages per commit")
    for name, count in per_tree.most_common(top):
        print(f"{count / len(done):8.2f}  {name}")


if __name__ == "__main__":
    main()
