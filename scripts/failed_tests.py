#!/usr/bin/env python3
"""Prints every failed test in the .trx files under a folder: its name, error message and the top of its stack.

scripts/test.sh runs this last, so the failures are at the end of a long log, where a CI page that shows only
the tail still shows them. Exits 0 either way: the test run's own status decides the outcome.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
STACK_LINES = 12


def failures(folder: pathlib.Path):
    for trx in sorted(folder.rglob("*.trx")):
        for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", NS):
            if result.get("outcome") != "Failed":
                continue
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS).strip()
            stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS).strip()
            yield result.get("testName"), result.get("duration"), message, stack.splitlines()[:STACK_LINES]


def main() -> None:
    found = list(failures(pathlib.Path(sys.argv[1])))
    for name, duration, message, stack in found:
        print(f"FAILED {name} (after {duration})")
        print("  " + message.replace("\n", "\n  "))
        for line in stack:
            print("    " + line.strip())
    if found:
        print(f"{len(found)} failed test(s), listed above")


if __name__ == "__main__":
    main()
