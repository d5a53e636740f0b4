#!/usr/bin/env python3
"""Where the time of a test run went, read from its .trx: per test class, the wall time from its first
test's start to its last test's end, the sum of its tests' durations, its count and when it started after the run's first test; then the whole run's
wall time and sum. The sum over the wall shows how many tests ran at once.

Usage: scripts/test-durations.py [TestResults/results.trx] [--top N] [--tests]
--tests lists the slowest single tests as well.
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime, timedelta

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def moment(text):
    # .NET writes seven digits of fractions and an offset; Python reads six.
    match = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$", text)
    head, fraction, zone = match.group(1), (match.group(2) or "0")[:6].ljust(6, "0"), match.group(3)
    return datetime.fromisoformat(f"{head}.{fraction}{zone.replace('Z', '+00:00')}")


def seconds(text):
    hours, minutes, rest = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(rest)).total_seconds()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trx", nargs="?", default="TestResults/results.trx")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--tests", action="store_true")
    args = parser.parse_args()

    root = ET.parse(args.trx).getroot()
    classes = {}
    for test in root.iterfind("t:TestDefinitions/t:UnitTest", NS):
        method = test.find("t:TestMethod", NS)
        classes[test.get("id")] = method.get("className").rsplit(".", 1)[-1]

    runs = defaultdict(list)
    tests = []
    for result in root.iterfind("t:Results/t:UnitTestResult", NS):
        if result.get("startTime") is None:
            continue
        start, end = moment(result.get("startTime")), moment(result.get("endTime"))
        duration = seconds(result.get("duration", "0:0:0"))
        runs[classes.get(result.get("testId"), "?")].append((start, end, duration))
        tests.append((duration, result.get("testName"), result.get("outcome")))
    if not tests:
        sys.exit(f"No test results in {args.trx}.")

    first = min(s for items in runs.values() for s, _, _ in items)
    rows = []
    for name, items in runs.items():
        start = min(s for s, _, _ in items)
        wall = (max(e for _, e, _ in items) - start).total_seconds()
        rows.append((wall, sum(d for _, _, d in items), len(items), (start - first).total_seconds(), name))
    rows.sort(reverse=True)
    print(f"{'class':<40} {'wall s':>7} {'sum s':>7} {'tests':>6} {'from s':>7}")
    for wall, total, count, offset, name in rows[: args.top]:
        print(f"{name:<40} {wall:7.1f} {total:7.1f} {count:6d} {offset:7.1f}")

    everything = [item for items in runs.values() for item in items]
    wall = (max(e for _, e, _ in everything) - min(s for s, _, _ in everything)).total_seconds()
    total = sum(d for _, _, d in everything)
    print(f"\n{len(tests)} tests: first start to last end {wall:.1f} s, sum of durations {total:.1f} s, "
          f"{total / wall if wall else 0:.1f} at once on average")

    if args.tests:
        print(f"\n{'slowest tests':<100} {'s':>6}")
        for duration, name, outcome in sorted(tests, reverse=True)[: args.top]:
            print(f"{name[:100]:<100} {duration:6.1f} {outcome if outcome != 'Passed' else ''}")


if __name__ == "__main__":
    main()
