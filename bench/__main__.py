"""``python -m bench``: run the benchmarks, print tables, write bench/results/latest.json.

Needs SYNERGIA_TEST_DATABASE_URL and SYNERGIA_TEST_KAFKA_BOOTSTRAP_SERVERS, which
``make bench`` (``synergia-dev with-servers -- python -m bench``) provides.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench import (
    authority_bench,
    beneficiary_bench,
    catchup_bench,
    cordis_bench,
    demo_bench,
    esif_bench,
    http_bench,
    kohesio_bench,
    partner_bench,
    propagation,
    ranking_bench,
    relay_bench,
    report_bench,
    search_bench,
    startup_bench,
    team_bench,
    tracing_bench,
)
from bench.stack import BenchStack

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ALL = (
    "startup",
    "http",
    "tracing",
    "propagation",
    "relay",
    "cordis",
    "search",
    "partners",
    "teams",
    "catchup",
    "ranking",
    "authority",
    "reports",
    "esif",
    "beneficiaries",
    "kohesio",
    "demo",
)
T = TypeVar("T")
# The system as `make run` ships it (devstack's settings for the embedded broker, given to
# both services), then with the production defaults, which are right for Apache Kafka
# (a fetch answered as soon as records arrive) but not for the embedded Tansu, which holds
# a fetch for its full wait.
PROPAGATION_VARIANTS: tuple[tuple[str, str, bool], ...] = (
    ("shipped", "as `make run` ships it (devstack defaults)", True),
    ("production", "production defaults (consumer fetch wait 500 ms)", False),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {ALL}")
    parser.add_argument("--requests", type=int, default=5_000, help="timed HTTP requests per round")
    parser.add_argument("--warmup", type=int, default=500, help="HTTP warm-up requests per round")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=5, help="HTTP rounds per side (medians are reported)"
    )
    parser.add_argument(
        "--startup-rounds", type=int, default=3, help="starts of each process (medians)"
    )
    parser.add_argument("--events", type=int, default=2_000, help="paced propagation events")
    parser.add_argument("--rate", type=float, default=200.0, help="propagation events per second")
    parser.add_argument("--relay-events", type=int, default=20_000)
    parser.add_argument("--search-actors", type=int, default=100_000)
    parser.add_argument("--search-samples", type=int, default=200, help="per search scenario")
    parser.add_argument(
        "--partner-sizes",
        default=",".join(str(n) for n in partner_bench.SIZES),
        help="comma-separated world sizes (actors) for the partner-search bench",
    )
    parser.add_argument(
        "--partner-samples", type=int, default=partner_bench.SAMPLES, help="per partner scenario"
    )
    parser.add_argument("--team-actors", type=int, default=team_bench.ACTORS)
    parser.add_argument("--team-repeats", type=int, default=3, help="HTTP calls per k")
    parser.add_argument("--catchup-actors", type=int, default=catchup_bench.ACTORS)
    parser.add_argument(
        "--authority-beneficiaries",
        type=int,
        default=authority_bench.BENEFICIARIES,
        help="SMEs in the authority-events world (about 3.1 items each)",
    )
    parser.add_argument(
        "--beneficiaries",
        type=int,
        default=beneficiary_bench.BENEFICIARIES,
        help="beneficiaries an authority registers in bulk (CSV uploads of 5,000)",
    )
    parser.add_argument("--demo-actors", type=int, default=demo_bench.ACTORS)
    parser.add_argument("--demo-clusters", type=int, default=demo_bench.CLUSTERS)
    parser.add_argument("--report-entries", type=int, default=report_bench.ENTRIES)
    parser.add_argument(
        "--esif-rows", type=int, default=esif_bench.ROWS, help="rows of the ESIF planned file"
    )
    parser.add_argument(
        "--kohesio-lines",
        type=int,
        default=kohesio_bench.LINES,
        help="lines of the Kohesio beneficiary file",
    )
    parser.add_argument("--report-samples", type=int, default=report_bench.SAMPLES)
    return parser.parse_args(argv)


async def run_all(
    stack: BenchStack, args: argparse.Namespace, log_dir: Path, selected: list[str]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    renderers: dict[str, Callable[[dict[str, Any]], str]] = {
        "startup": startup_bench.render,
        "http": http_bench.render,
        "tracing": tracing_bench.render,
        "relay": relay_bench.render,
        "cordis": cordis_bench.render,
        "search": search_bench.render,
        "partners": partner_bench.render,
        "teams": team_bench.render,
        "catchup": catchup_bench.render,
        "ranking": ranking_bench.render,
        "authority": authority_bench.render,
        "reports": report_bench.render,
        "esif": esif_bench.render,
        "beneficiaries": beneficiary_bench.render,
        "kohesio": kohesio_bench.render,
        "demo": demo_bench.render,
    }
    try:
        for name in selected:
            print(f"\n-- running {name} …", flush=True)
            started = time.perf_counter()
            if name == "startup":
                results[name] = await startup_bench.run(stack, log_dir, rounds=args.startup_rounds)
            elif name == "http":
                results[name] = await http_bench.run(
                    stack,
                    log_dir,
                    requests=args.requests,
                    warmup=args.warmup,
                    concurrency=args.concurrency,
                    rounds=args.rounds,
                )
            elif name == "tracing":
                results[name] = await tracing_bench.run(
                    stack,
                    log_dir,
                    requests=args.requests,
                    warmup=args.warmup,
                    concurrency=args.concurrency,
                    rounds=args.rounds,
                )
            elif name == "propagation":
                results[name] = {}
                for variant, label, dev in PROPAGATION_VARIANTS:
                    report = await propagation.run(
                        stack,
                        log_dir,
                        events=args.events,
                        rate=args.rate,
                        warmup=50,
                        variant=variant,
                        dev_defaults=dev,
                    )
                    results[name][variant] = report
                    print(propagation.render(report, label), flush=True)
            elif name == "cordis":
                results[name] = await cordis_bench.run(stack, log_dir)
            elif name == "search":
                results[name] = await search_bench.run(
                    stack, log_dir, actors=args.search_actors, samples=args.search_samples
                )
            elif name == "partners":
                results[name] = await partner_bench.run(
                    stack,
                    log_dir,
                    sizes=tuple(int(n) for n in args.partner_sizes.split(",") if n),
                    samples=args.partner_samples,
                )
            elif name == "teams":
                results[name] = await team_bench.run(
                    stack, log_dir, actors=args.team_actors, repeats=args.team_repeats
                )
            elif name == "catchup":
                results[name] = await catchup_bench.run(stack, actors=args.catchup_actors)
            elif name == "ranking":
                results[name] = await ranking_bench.run(stack, log_dir)
            elif name == "authority":
                results[name] = await authority_bench.run(
                    stack, log_dir, beneficiaries=args.authority_beneficiaries
                )
            elif name == "esif":
                results[name] = await esif_bench.run(stack, log_dir, rows=args.esif_rows)
            elif name == "beneficiaries":
                results[name] = await beneficiary_bench.run(
                    stack, log_dir, beneficiaries=args.beneficiaries
                )
            elif name == "demo":
                results[name] = await demo_bench.run(
                    stack, log_dir, actors=args.demo_actors, clusters=args.demo_clusters
                )
            elif name == "kohesio":
                results[name] = await kohesio_bench.run(stack, log_dir, lines=args.kohesio_lines)
            elif name == "reports":
                results[name] = await report_bench.run(
                    stack, log_dir, entries=args.report_entries, samples=args.report_samples
                )
            else:
                results[name] = await relay_bench.run(stack, events=args.relay_events)
            results[name]["wall_seconds"] = time.perf_counter() - started
            if name in renderers:
                print(renderers[name](results[name]), flush=True)
    finally:
        await stack.drop_all()
    return results


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is there, as uvicorn does for the servers."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    selected = [name for name in args.only.split(",") if name]
    unknown = set(selected) - set(ALL)
    if unknown:
        print(f"unknown benchmark(s) {sorted(unknown)}; choose from {ALL}", file=sys.stderr)
        return 2
    stack = BenchStack.from_env()
    started = time.perf_counter()
    load_before = os.getloadavg()
    print(
        f"Synergia benchmarks on {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"load average {load_before[0]:.2f}"
    )
    if load_before[0] > 0.5:
        print("note: the machine is already busy; figures will be noisier than usual")
    with tempfile.TemporaryDirectory(prefix="synergia-bench-") as tmp:
        try:
            stack.migrate_templates()
            results = run(run_all(stack, args, Path(tmp), selected))
        finally:
            asyncio.run(stack.drop_all())
    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": load_before,
            "load_average_at_end": os.getloadavg(),
        },
        "parameters": vars(args),
        "results": results,
        "wall_seconds": time.perf_counter() - started,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / "latest.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    print(f"total {report['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
