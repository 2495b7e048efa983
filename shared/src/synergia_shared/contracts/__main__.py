"""``python -m synergia_shared.contracts write|check``."""

from __future__ import annotations

import argparse
import sys

from synergia_shared.contracts import (
    REGENERATE,
    ROOT,
    breaking_event_changes,
    documents,
    render,
    stale,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synergia_shared.contracts")
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="regenerate every committed contract file")
    write.add_argument(
        "--accept-breaking",
        action="store_true",
        help="overwrite event schemas even with breaking changes (no consumer depends on them)",
    )
    commands.add_parser("check", help="exit 1 if a committed contract file is out of date")
    args = parser.parse_args(argv)

    breaking = breaking_event_changes()
    for name, changes in breaking.items():
        print(f"BREAKING {name}:", *changes, sep="\n  ", file=sys.stderr)
    docs = documents()
    out_of_date = stale(docs)

    if args.command == "check":
        for path in out_of_date:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        if out_of_date:
            print(f"regenerate with: {REGENERATE}", file=sys.stderr)
        return 1 if out_of_date or breaking else 0

    if breaking and not args.accept_breaking:
        print(
            "not written: publish the change as a new event version (.v2) beside the old "
            "one, or pass --accept-breaking if no consumer depends on it yet",
            file=sys.stderr,
        )
        return 2
    for path in out_of_date:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(docs[path]), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if not out_of_date:
        print("contracts are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
