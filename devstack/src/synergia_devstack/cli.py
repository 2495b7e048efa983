"""``synergia-dev``: run the whole system, issue dev tokens, load demo data, wrap the test run."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from synergia_shared.bus import ensure_topics
from synergia_shared.settings import DEV_JWT_SECRET

from synergia_devstack.drain import drain, drain_timeout
from synergia_devstack.ports import port_in_use
from synergia_devstack.services import DEFAULT_PORTS, SERVICES, ServiceProcess
from synergia_devstack.stack import Servers, prepare, service_env, start_servers
from synergia_devstack.supervisor import GaveUp, RestartPolicy, Supervisor


def _dev_secret() -> str:
    return os.environ.get("AUTH_JWT_SECRET") or DEV_JWT_SECRET


def _service_ports() -> dict[str, int]:
    return {s: int(os.environ.get(f"{s.upper()}_PORT", DEFAULT_PORTS[s])) for s in SERVICES}


class _Stop:
    """Turns SIGINT/SIGTERM into events, so shutdown runs in order on the main thread:
    the first asks for a drained stop, a second one for stopping at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.forced = threading.Event()
        signal.signal(signal.SIGINT, self._set)
        signal.signal(signal.SIGTERM, self._set)

    def _set(self, *_: object) -> None:
        if self.event.is_set():
            self.forced.set()
        self.event.set()


def _say(line: str) -> None:
    print(line, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    ports = _service_ports()
    taken = [f"{s} :{p}" for s, p in ports.items() if port_in_use(p)]
    if taken:
        print(
            f"Cannot start: port(s) already taken ({', '.join(taken)}). Is Synergia already "
            "running? Stop it with Ctrl-C in its terminal, or choose other ports with "
            "REGISTRY_PORT / MATCHING_PORT / FUNDING_PORT.",
            file=sys.stderr,
        )
        return 1
    stop = _Stop()
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(RestartPolicy.from_env(), say=_say)
    services: list[ServiceProcess] = []
    servers: Servers | None = None
    serving = False
    try:
        servers = start_servers(data_dir, durable=True, log_dir=data_dir)
        for line in servers.started:
            print(f"started {line}", flush=True)
        # Watched from here on: a server that dies is started again, same port, same data.
        if servers.postgres is not None:
            supervisor.add(servers.postgres, start=False)
        if servers.broker is not None:
            # The embedded broker comes back empty: its topics are created again.
            bootstrap = servers.broker.bootstrap_servers

            def recreate_topics() -> None:
                asyncio.run(ensure_topics(bootstrap))

            supervisor.add(servers.broker, start=False, after_restart=recreate_topics)
        prepare(servers)
        for s in SERVICES:
            registry_url = f"http://127.0.0.1:{ports['registry']}"
            env = service_env(s, servers, ports[s], registry_url=registry_url)
            proc = ServiceProcess(s, ports[s], env)
            supervisor.add(proc)
            services.append(proc)
        # Imported while the services start, not before: the auth module (FastAPI and the
        # rest) is a good part of a second of the supervisor's own start.
        from synergia_shared.http.auth import issue_token

        for proc in services:
            proc.wait_ready(cancelled=stop.event.is_set)  # Ctrl-C while starting: stop
        token = issue_token(_dev_secret(), subject="dev-admin", roles=["admin"])
        print("\nSynergia is running. API docs:")
        for proc in services:
            print(f"  {proc.name:<9} {proc.base_url}/docs")
        print("Processes (a dead one is restarted):")
        for child in supervisor.children:
            print(f"  {child.name:<10} pid {child.pid}")
        print(f"\nDevelopment admin token (12 h):\n  {token}\n")
        print("Ctrl-C stops everything.", flush=True)
        serving = True
        while not stop.event.wait(0.5):
            supervisor.watch()
        _say(
            "stopping: draining first (writes now answer 503 with Retry-After); "
            "Ctrl-C again to stop at once…"
        )
        drained = drain(
            services,
            token,
            timeout=drain_timeout(),
            say=_say,
            forced=stop.forced.is_set,
            tick=supervisor.watch,
        )
        return 0 if drained else 1
    except GaveUp as exc:
        print(f"{exc}; stopping.", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if serving:
            print(f"Synergia failed: {exc}", file=sys.stderr)
        else:
            print(f"Could not start Synergia: {exc}", file=sys.stderr)
        return 1
    finally:
        # Services first (they commit their consumers' offsets and flush their relays),
        # all at once, then broker, then database.
        print("stopping…", file=sys.stderr, flush=True)
        for proc in services:
            if proc.proc is not None and proc.proc.poll() is None:
                proc.proc.send_signal(signal.SIGTERM)
        supervisor.stop({proc.name for proc in services})
        if servers is not None:
            servers.stop()
        print("stopped.", file=sys.stderr, flush=True)


def cmd_token(args: argparse.Namespace) -> int:
    from synergia_shared.http.auth import ALL_ROLES, issue_token

    if args.role not in ALL_ROLES:
        print(f"unknown role {args.role!r}; one of {sorted(ALL_ROLES)}", file=sys.stderr)
        return 2
    if args.role == "authority" and not args.region:
        print("an authority token needs REGION=<NUTS code>", file=sys.stderr)
        return 2
    if args.actor_id:
        try:
            uuid.UUID(args.actor_id)
        except ValueError:
            print(
                f"ACTOR_ID must be an actor's id (a UUID), not {args.actor_id!r}", file=sys.stderr
            )
            return 2
    print(
        issue_token(
            _dev_secret(),
            subject=args.subject or f"dev-{args.role}",
            roles=[args.role],
            region=args.region or None,
            actor_id=args.actor_id or None,
        )
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the demo data set into a running registry (`make run`) through its API."""
    from synergia_shared.http.auth import issue_token

    from synergia_devstack.demo import DemoError, DemoSize, generate, load_into

    size = DemoSize(actors=args.actors, clusters=args.clusters, value_chains=args.value_chains)
    try:
        plan = generate(args.seed, size)
    except ValueError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    # The same subject every time: Idempotency-Keys are kept per caller.
    token = args.token or issue_token(_dev_secret(), subject="dev-admin", roles=["admin"])
    print(
        f"Loading the demo data set (seed {args.seed}: {len(plan.actors)} actors in "
        f"{len(plan.countries)} countries, {len(plan.clusters)} clusters, "
        f"{len(plan.value_chains)} value chains) into {args.registry_url} …",
        flush=True,
    )
    try:
        report = asyncio.run(
            load_into(
                args.registry_url,
                plan,
                token=token,
                concurrency=args.concurrency,
                log=lambda line: print(f"  {line}", flush=True),
            )
        )
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    print(report.render())
    return 1 if report.problems else 0


def cmd_with_servers(args: argparse.Namespace) -> int:
    """Run a command (the test suite, the benchmarks) with PostgreSQL and Kafka up.

    Servers given in the environment are used as they are; otherwise embedded ones are
    started in a temporary folder and stopped afterwards, whatever the command's outcome.
    """
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("usage: synergia-dev with-servers -- COMMAND …", file=sys.stderr)
        return 2
    stop = _Stop()
    with tempfile.TemporaryDirectory(prefix="synergia-test-") as tmp:
        tmp_dir = Path(tmp)
        servers = start_servers(tmp_dir, durable=False, log_dir=tmp_dir)
        child: subprocess.Popen[bytes] | None = None
        try:
            env = {
                **os.environ,
                "SYNERGIA_TEST_DATABASE_URL": servers.server_url,
                "SYNERGIA_TEST_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
            }
            child = subprocess.Popen(command, env=env)
            while child.poll() is None:
                if stop.event.wait(0.2):
                    child.send_signal(signal.SIGTERM)
                    child.wait(60)
            return child.returncode
        finally:
            if child is not None and child.poll() is None:
                child.kill()
            servers.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synergia-dev", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="start the whole system on embedded defaults")
    run.add_argument("--data-dir", default=".data")
    run.set_defaults(func=cmd_run)
    token = sub.add_parser("token", help="print a development bearer token")
    token.add_argument("--role", default="admin")
    token.add_argument("--region", default="")
    token.add_argument("--subject", default="")
    token.add_argument(
        "--actor-id",
        default="",
        help="the actor (organisation) this person acts for: an SME, or a cluster "
        "manager's cluster organisation; it may then change that actor and see its contacts",
    )
    token.set_defaults(func=cmd_token)
    demo = sub.add_parser(
        "demo", help="load a realistic synthetic data set through the API (after `make run`)"
    )
    demo.add_argument(
        "--registry-url",
        default=os.environ.get("REGISTRY_URL")
        or f"http://127.0.0.1:{os.environ.get('REGISTRY_PORT', DEFAULT_PORTS['registry'])}",
        help="default: $REGISTRY_URL, else http://127.0.0.1:$REGISTRY_PORT (8001)",
    )
    demo.add_argument("--seed", type=int, default=2024, help="same seed, same data set")
    demo.add_argument("--actors", type=int, default=2_000)
    demo.add_argument("--clusters", type=int, default=40)
    demo.add_argument("--value-chains", type=int, default=10)
    demo.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    demo.add_argument("--token", default="", help="bearer token; default: a dev admin token")
    demo.set_defaults(func=cmd_demo)
    wrap = sub.add_parser("with-servers", help="run a command with PostgreSQL and Kafka up")
    wrap.add_argument("command", nargs=argparse.REMAINDER)
    wrap.set_defaults(func=cmd_with_servers)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
