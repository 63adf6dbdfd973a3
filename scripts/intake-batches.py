#!/usr/bin/env python3
"""The SQLite intake thread's batches, from the log of a server started with its timing events on:

    CHENGYUN_LOG=warn,chengyun_storage=trace chengyun serve --demo … 2> server.log
    python3 scripts/intake-batches.py server.log

Prints how many batches the thread wrote, their mean size, the thread's time per report by batch
size, the WAL syncs that answered them, and the thread's stops to copy the WAL's last frames.
Used for docs/benchmarks.md ("The intake thread is nearly full").
"""
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FIELD = re.compile(r"(\w+)=([0-9.]+)")
BUCKETS = [(1, 4), (5, 16), (17, 64), (65, 10**9)]


def events(path):
    """(message, fields) of every timing event in the log."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = ANSI.sub("", line)
            for message in ("intake batch written", "WAL synced", "last WAL frames copied by the intake thread"):
                if message in line:
                    yield message, {k: float(v) for k, v in FIELD.findall(line.split(message, 1)[1])}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    batches, syncs, stops = [], [], []
    for message, fields in events(sys.argv[1]):
        if message == "intake batch written":
            batches.append((int(fields["reports"]), fields["ms"]))
        elif message == "WAL synced":
            syncs.append(fields["ms"])
        else:
            stops.append(fields["ms"])
    if not batches:
        sys.exit("no intake batch in the log: was the server started with CHENGYUN_LOG=…,chengyun_storage=trace?")
    reports = sum(n for n, _ in batches)
    busy = sum(ms for _, ms in batches)
    print(f"{len(batches)} batches, {reports} reports, {reports / len(batches):.1f} per batch, "
          f"{busy * 1000 / reports:.0f} µs of the thread per report, {busy / 1000:.1f} s in all")
    for low, high in BUCKETS:
        part = [(n, ms) for n, ms in batches if low <= n <= high]
        if part:
            label = f"{low}–{high}" if high < 10**9 else f"{low}+"
            per = sum(ms for _, ms in part) * 1000 / sum(n for n, _ in part)
            print(f"  batches of {label:>6} reports: {len(part):6d}, {per:5.0f} µs per report")
    slow = [ms for _, ms in batches if ms >= 20]
    print(f"  batches of 20 ms or more: {len(slow)}")
    if syncs:
        syncs.sort()
        print(f"{len(syncs)} WAL syncs, median {syncs[len(syncs) // 2]:.1f} ms, slowest {syncs[-1]:.1f} ms")
    if stops:
        print(f"{len(stops)} stops to copy the WAL's last frames: " + ", ".join(f"{ms:.1f}" for ms in stops) + " ms")


if __name__ == "__main__":
    main()
