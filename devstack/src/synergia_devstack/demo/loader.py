"""Send a demo plan to the registry's public API, safely re-runnable.

Creates carry an ``Idempotency-Key`` derived from the seed, the size and the item, so a
second run gets the first run's answers back (``Idempotent-Replayed: true``) instead of
creating anything again, and a run interrupted half-way can simply be started again.
What has no key (the cluster profile, status changes) is read first and only written
when it differs from the plan. Requests run with bounded concurrency.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from synergia_devstack.demo.plan import (
    ActorPlan,
    ClusterPlan,
    DemoPlan,
    ValueChainPlan,
    status_steps,
)

RETRIES = 4
ACTOR_BATCH = 250  # actors per POST /v1/actors:batch-create
ACTOR_BATCHES_IN_FLIGHT = 2
PROGRESS_EVERY = 2.0  # seconds between progress lines
RETRY_STATUSES = frozenset({502, 503, 504})


class DemoError(RuntimeError):
    pass


@dataclass
class Tally:
    created: int = 0  # a new effect
    replayed: int = 0  # the registry answered with the first run's result
    unchanged: int = 0  # already as planned; nothing sent or a harmless conflict

    def add(self, other: Tally) -> None:
        self.created += other.created
        self.replayed += other.replayed
        self.unchanged += other.unchanged

    def __str__(self) -> str:
        return f"{self.created} new, {self.replayed + self.unchanged} already there"


@dataclass
class DemoReport:
    seed: int
    size_tag: str
    actors: Tally = field(default_factory=Tally)
    cluster_profiles: Tally = field(default_factory=Tally)
    memberships: Tally = field(default_factory=Tally)
    departures: Tally = field(default_factory=Tally)
    value_chains: Tally = field(default_factory=Tally)
    transitions: Tally = field(default_factory=Tally)
    statuses: Counter[str] = field(default_factory=Counter)
    countries: int = 0
    requests: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict, repr=False)  # plan key -> id

    @property
    def tallies(self) -> dict[str, Tally]:
        return {
            "actors": self.actors,
            "cluster profiles": self.cluster_profiles,
            "cluster memberships": self.memberships,
            "recorded departures": self.departures,
            "value chains": self.value_chains,
            "status changes": self.transitions,
        }

    @property
    def created(self) -> int:
        return sum(t.created for t in self.tallies.values())

    def render(self) -> str:
        lines = [f"Demo data set (seed {self.seed}, {self.size_tag}):"]
        lines += [f"  {name:<20} {tally}" for name, tally in self.tallies.items()]
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.statuses.items()))
        lines.append(f"  {'countries':<20} {self.countries}")
        lines.append(f"  {'value-chain statuses':<20} {statuses or '-'}")
        rate = self.requests / self.seconds if self.seconds else 0.0
        lines.append(f"  {self.requests} requests in {self.seconds:.1f} s ({rate:.0f} requests/s)")
        lines += [f"  problem: {p}" for p in self.problems]
        return "\n".join(lines)


class Progress:
    """Says how far a step is, at most every :data:`PROGRESS_EVERY` seconds and at its end."""

    def __init__(self, what: str, total: int, log: Callable[[str], None]) -> None:
        self.what, self.total, self.log = what, total, log
        self.done = 0
        self.started = self.last = time.perf_counter()

    def step(self, count: int = 1) -> None:
        self.done += count
        now = time.perf_counter()
        if self.done >= self.total or now - self.last >= PROGRESS_EVERY:
            self.last = now
            rate = self.done / (now - self.started) if now > self.started else 0.0
            self.log(
                f"{self.what}: {self.done:,}/{self.total:,} "
                f"({100 * self.done // max(self.total, 1)} %, {now - self.started:.1f} s, "
                f"{rate:,.0f}/s)"
            )


class _Api:
    """JSON over the registry's HTTP API, at most ``concurrency`` requests in flight."""

    def __init__(self, client: httpx.AsyncClient, token: str, concurrency: int) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.slots = asyncio.Semaphore(concurrency)
        self.requests = 0

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        key: str | None = None,
        if_match: str | None = None,
        allow: Iterable[int] = (),
    ) -> httpx.Response:
        headers = dict(self.headers)
        content = None
        if body is not None:
            # Serialised here, always the same way: the registry fingerprints the bytes
            # that come with an Idempotency-Key.
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        if if_match is not None:
            headers["If-Match"] = if_match
        retryable = method == "GET" or key is not None
        accepted = {200, 201, 204, *allow}
        for attempt in range(RETRIES):
            async with self.slots:
                try:
                    response = await self.client.request(
                        method, path, content=content, headers=headers
                    )
                except httpx.TransportError as exc:
                    if not retryable or attempt == RETRIES - 1:
                        raise DemoError(f"{method} {path}: {exc!r}") from exc
                    await asyncio.sleep(0.2 * 2**attempt)
                    continue
                finally:
                    self.requests += 1
            if response.status_code in RETRY_STATUSES and retryable and attempt < RETRIES - 1:
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if response.status_code in accepted:
                return response
            raise DemoError(
                f"{method} {path} answered {response.status_code}: {response.text[:800]}"
            )
        raise AssertionError("unreachable")


async def _all(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run them concurrently; on a failure cancel the rest and raise the first error."""
    try:
        async with asyncio.TaskGroup() as group:
            for coroutine in coroutines:
                group.create_task(coroutine)
    except BaseExceptionGroup as failed:
        error: BaseException = failed
        while isinstance(error, BaseExceptionGroup):
            error = error.exceptions[0]
        raise error from None


def _created(response: httpx.Response, tally: Tally) -> None:
    if response.headers.get("Idempotent-Replayed") == "true":
        tally.replayed += 1
    else:
        tally.created += 1


class _Loader:
    def __init__(self, api: _Api, plan: DemoPlan, log: Callable[[str], None]) -> None:
        self.api = api
        self.plan = plan
        self.log = log
        self.report = DemoReport(plan.seed, plan.size.tag)
        self.ids = self.report.ids
        self.prefix = f"synergia-demo/{plan.seed}/{plan.size.tag}"
        self.progress = Progress("", 0, log)

    # -- actors -------------------------------------------------------------------------

    def _body(self, actor: ActorPlan) -> dict[str, Any]:
        body = dict(actor.body)
        if actor.owners:
            body["owners"] = [
                {
                    "owner_actor_id": self.ids[link.owner_key],
                    "share_percent": link.share_percent,
                    "controls": link.controls,
                    "exempt_investor": link.exempt_investor,
                }
                for link in actor.owners
            ]
        return body

    async def _actor_batch(self, group: str, number: int, batch: list[ActorPlan]) -> None:
        response = await self.api.send(
            "POST",
            "/v1/actors:batch-create",
            body={"items": [self._body(a) for a in batch]},
            key=f"{self.prefix}/actors/{group}/{number}",
        )
        for actor, created in zip(batch, response.json()["items"], strict=True):
            self.ids[actor.key] = created["id"]
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        if replayed:
            self.report.actors.replayed += len(batch)
        else:
            self.report.actors.created += len(batch)
        self.progress.step(len(batch))

    async def actors(self) -> None:
        """The actors in batches of :data:`ACTOR_BATCH` (``POST /v1/actors:batch-create``,
        a few statements per batch), owners first: an ownership link names an actor that
        must already exist. Each batch has its own Idempotency-Key, so a re-run replays
        the batches done and sends the others."""
        started = time.perf_counter()
        owners_first = [a for a in self.plan.actors if not a.owners]
        owned = [a for a in self.plan.actors if a.owners]
        self.progress = Progress("actors", len(self.plan.actors), self.log)
        # Two batches in flight: one being written while the next is sent and checked;
        # more only queue on the server's CPUs and make the progress come in one lump.
        slots = asyncio.Semaphore(ACTOR_BATCHES_IN_FLIGHT)

        async def send(group: str, number: int, batch: list[ActorPlan]) -> None:
            async with slots:
                await self._actor_batch(group, number, batch)

        for group, actors in (("owners-first", owners_first), ("owned", owned)):
            batches = [actors[i : i + ACTOR_BATCH] for i in range(0, len(actors), ACTOR_BATCH)]
            await _all(send(group, n, b) for n, b in enumerate(batches))
        self.log(
            f"actors: {self.report.actors} ({len(owned)} with owners) "
            f"in {time.perf_counter() - started:.1f} s"
        )

    # -- clusters -----------------------------------------------------------------------

    async def _profile(self, cluster: ClusterPlan, cluster_id: str) -> None:
        response = await self.api.send("GET", f"/v1/clusters/{cluster_id}")
        current = response.json()
        wanted = cluster.profile
        same = (
            current["ecosystems"] == wanted["ecosystems"]
            and current["s3_priorities"] == wanted["s3_priorities"]
            and current["esca_label"] == wanted.get("esca_label")
            and current["esca_valid_until"] == wanted.get("esca_valid_until")
            and current["management_fte"] is not None
            and Decimal(str(current["management_fte"])) == Decimal(wanted["management_fte"])
        )
        if same:
            self.report.cluster_profiles.unchanged += 1
            return
        # The first profile too is based on the version read ("0"): If-Match is required.
        etag = response.headers.get("ETag")
        await self.api.send("PUT", f"/v1/clusters/{cluster_id}/profile", body=wanted, if_match=etag)
        self.report.cluster_profiles.created += 1

    async def _members(self, cluster: ClusterPlan, cluster_id: str) -> None:
        """Every membership of the cluster, departures included, in one request
        (``POST …/members:batch-join``)."""
        items: list[dict[str, Any]] = []
        for member in cluster.members:
            item = {
                "actor_id": self.ids[member.actor_key],
                "joined_on": member.joined_on.isoformat(),
                "committed": member.committed,
            }
            if member.left_on is not None:
                item["left_on"] = member.left_on.isoformat()
            items.append(item)
        response = await self.api.send(
            "POST",
            f"/v1/clusters/{cluster_id}/members:batch-join",
            body={"items": items},
            key=f"{self.prefix}/cluster/{cluster.actor_key}/members",
        )
        departures = sum(1 for member in cluster.members if member.left_on is not None)
        if response.headers.get("Idempotent-Replayed") == "true":
            self.report.memberships.replayed += len(items)
            self.report.departures.replayed += departures
        else:
            self.report.memberships.created += len(items)
            self.report.departures.created += departures
        self.progress.step(len(items))

    async def _cluster(self, cluster: ClusterPlan) -> None:
        cluster_id = self.ids[cluster.actor_key]
        await self._profile(cluster, cluster_id)
        await self._members(cluster, cluster_id)

    async def clusters(self) -> None:
        started = time.perf_counter()
        members = sum(len(c.members) for c in self.plan.clusters)
        self.progress = Progress("cluster memberships", members, self.log)
        await _all(self._cluster(c) for c in self.plan.clusters)
        self.log(
            f"clusters: {len(self.plan.clusters)} profiles ({self.report.cluster_profiles}), "
            f"memberships {self.report.memberships}, departures {self.report.departures} "
            f"in {time.perf_counter() - started:.1f} s"
        )

    # -- value chains -------------------------------------------------------------------

    async def _value_chain(self, chain: ValueChainPlan) -> None:
        body = {
            **chain.body,
            "lead_actor_ids": [self.ids[k] for k in chain.lead_keys],
            "participants": [
                {
                    "actor_id": self.ids[p.actor_key],
                    "stage": p.stage,
                    "role": p.role,
                    "planned_budget": p.planned_budget,
                }
                for p in chain.participants
            ],
        }
        response = await self.api.send(
            "POST", "/v1/value-chains", body=body, key=f"{self.prefix}/value-chain/{chain.key}"
        )
        _created(response, self.report.value_chains)
        chain_id = response.json()["id"]
        # The replayed answer is the first run's; the status may have moved on since.
        response = await self.api.send("GET", f"/v1/value-chains/{chain_id}")
        status, etag = response.json()["status"], response.headers["ETag"]
        steps = status_steps(status, chain.target_status) if status != "closed" else []
        if not steps:
            self.report.transitions.unchanged += 1
        for step in steps:
            response = await self.api.send(
                "POST",
                f"/v1/value-chains/{chain_id}/status",
                body={"to": step},
                if_match=etag,
                allow=(409,),
            )
            if response.status_code == 409:
                self.report.problems.append(
                    f"value chain {chain.body['title']!r} stays {status}: {response.text[:500]}"
                )
                break
            status, etag = step, response.headers["ETag"]
            self.report.transitions.created += 1
        self.report.statuses[status] += 1
        self.progress.step()

    async def value_chains(self) -> None:
        started = time.perf_counter()
        self.progress = Progress("value chains", len(self.plan.value_chains), self.log)
        await _all(self._value_chain(v) for v in self.plan.value_chains)
        self.log(
            f"value chains: {self.report.value_chains}, status changes "
            f"{self.report.transitions} in {time.perf_counter() - started:.1f} s"
        )


async def load(
    client: httpx.AsyncClient,
    plan: DemoPlan,
    *,
    token: str,
    concurrency: int = 16,
    log: Callable[[str], None] | None = None,
) -> DemoReport:
    """Load ``plan`` through the registry API that ``client`` talks to (its base URL)."""
    api = _Api(client, token, concurrency)
    loader = _Loader(api, plan, log or (lambda _: None))
    started = time.perf_counter()
    await loader.actors()
    await loader.clusters()
    await loader.value_chains()
    report = loader.report
    report.seconds = time.perf_counter() - started
    report.requests = api.requests
    report.countries = len(plan.countries)
    return report


async def wait_ready(client: httpx.AsyncClient, timeout: float = 60.0) -> None:
    """Wait for the registry's /readyz; a clear error when nothing listens there."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = await client.get("/readyz")
        except httpx.TransportError as exc:
            raise DemoError(
                f"no registry answers at {client.base_url} ({exc.__class__.__name__}). "
                "Start the system with `make run` in another terminal, or point "
                "REGISTRY_URL at a running registry."
            ) from exc
        if response.status_code == 200:
            return
        if time.monotonic() > deadline:
            raise DemoError(f"the registry at {client.base_url} is not ready: {response.text}")
        await asyncio.sleep(1)


async def load_into(
    registry_url: str,
    plan: DemoPlan,
    *,
    token: str,
    concurrency: int = 16,
    log: Callable[[str], None] | None = None,
) -> DemoReport:
    """:func:`load` against a registry served at ``registry_url``."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=registry_url, timeout=120, limits=limits) as client:
        await wait_ready(client)
        return await load(client, plan, token=token, concurrency=concurrency, log=log)
