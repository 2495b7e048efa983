"""Fetches actors' shared contact persons from the registry, in the background.

Contact persons never travel on the event log (see ``synergia_shared.events.registry``).
A projection that shows them (matching's profiles, funding's beneficiaries) records, in
the transaction that applies an actor's snapshot, that its shared contacts are to be
fetched; this task asks the registry (``GET /v1/actors/{id}/shared-contacts``, with an
API key whose only permission is that) and stores the answer. The snapshot itself never
waits for it, and serving a request never calls the registry. While the registry is
unreachable a fetch is retried with a back-off, never given up; an erasure applied
meanwhile deletes the pending fetch, and an answer read before an erasure already seen is
never stored (the registry says at which actor version it read the contacts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.metrics import CONTACT_FETCHES
from synergia_shared.projections import contact_fetches as repository
from synergia_shared.projections.contact_fetches import Claimed, ContactTables
from synergia_shared.settings import SHARED_CONTACTS_SCOPE, ProjectionSettings

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)


def backoff(attempts: int, initial: float, maximum: float) -> float:
    """Seconds before the next try after ``attempts`` failed ones (1 s, 2 s, 4 s … max)."""
    return float(min(initial * 2 ** min(attempts, 30), maximum))


def path(actor_id: object) -> str:
    return f"/v1/actors/{actor_id}/shared-contacts"


class ContactFetcher:
    """Runs the fetches for the app's lifespan; safe on several replicas (claims)."""

    def __init__(
        self,
        sessions: SessionFactory,
        tables: ContactTables,
        client: httpx.AsyncClient | Callable[[], httpx.AsyncClient],
        *,
        interval: float = 0.5,
        batch_size: int = 20,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        # A service builds its client when the task starts (from_settings): importing
        # httpx takes a third of a second, which the service's start does not wait for.
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self._interval = interval
        self._batch_size = batch_size
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._lease = lease
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls, sessions: SessionFactory, tables: ContactTables, settings: ProjectionSettings
    ) -> ContactFetcher:
        key = settings.registry_api_key
        if key is None:
            prefix = settings.service_name.upper()
            raise RuntimeError(
                f"set {prefix}_REGISTRY_API_KEY (the registry API key with the "
                f"{SHARED_CONTACTS_SCOPE} scope), or {prefix}_CONTACT_FETCH_ENABLED=false"
            )
        api_key = key.get_secret_value()

        def make_client() -> httpx.AsyncClient:
            import httpx

            return httpx.AsyncClient(
                base_url=settings.registry_url,
                headers={"X-API-Key": api_key},
                timeout=settings.contact_fetch_timeout_seconds,
            )

        return cls(
            sessions,
            tables,
            make_client,
            interval=settings.contact_fetch_interval_seconds,
            batch_size=settings.contact_fetch_batch_size,
            backoff_initial=settings.contact_fetch_backoff_initial_seconds,
            backoff_max=settings.contact_fetch_backoff_max_seconds,
            lease=timedelta(seconds=max(60.0, 2 * settings.contact_fetch_timeout_seconds)),
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="shared-contact-fetcher")

    async def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                self._task.cancel()  # a claimed fetch is taken up again after its lease
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        if self._client is None and self._make_client is not None:
            # In a thread: the import (the first time) does not hold up the event loop.
            self._client = await asyncio.to_thread(self._make_client)
        while not self._stopping.is_set():
            try:
                done = await self.run_once()
            except Exception:
                logger.exception("shared-contact fetch round failed")  # database away
                done = 0
            if done < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def run_once(self) -> int:
        """Claim the due fetches (one batch) and do them; how many were claimed."""
        async with unit_of_work(self._sessions) as session:
            claimed = await repository.claim_due(
                session, self._tables, self._batch_size, self._lease
            )
        await asyncio.gather(*(self._fetch(c) for c in claimed))
        return len(claimed)

    async def _fetch(self, claimed: Claimed) -> None:
        import httpx  # imported once the client exists: a lookup

        assert self._client is not None, "the client is built when the task starts"
        try:
            response = await self._client.get(path(claimed.actor_id))
        except httpx.HTTPError as exc:
            await self._failed(claimed, f"registry unreachable: {type(exc).__name__}")
            return
        if response.status_code == 404:
            async with unit_of_work(self._sessions) as session:
                await repository.finish(session, self._tables, claimed)
            CONTACT_FETCHES.labels("gone").inc()
            return
        if response.status_code != 200:
            await self._failed(claimed, f"registry answered {response.status_code}")
            return
        body: dict[str, Any] = response.json()
        contacts = [
            {"name": c["name"], "email": c["email"], "role": c.get("role")}
            for c in body["contacts"]
        ]
        async with unit_of_work(self._sessions) as session:
            stored = await repository.store_fetched(
                session, self._tables, claimed, version=int(body["version"]), contacts=contacts
            )
        CONTACT_FETCHES.labels("stored" if stored else "stale").inc()

    async def _failed(self, claimed: Claimed, error: str) -> None:
        delay = backoff(claimed.attempts, self._backoff_initial, self._backoff_max)
        # Only the actor id and what went wrong: never a contact.
        logger.warning(
            "shared-contact fetch failed, retrying in %.1fs: %s",
            delay,
            error,
            extra={"actor_id": str(claimed.actor_id), "attempts": claimed.attempts + 1},
        )
        async with unit_of_work(self._sessions) as session:
            await repository.failed(session, self._tables, claimed, delay, error)
        CONTACT_FETCHES.labels("failed").inc()
