"""Authority items from Kafka (``funding.authority-inbound``), exactly once.

The message names the authority by its API-key name; the service's API-key configuration
gives its region, as for the same client over HTTP, and so the same exactly-once identity:
the regional authority's (``authority:<NUTS>``, :mod:`.senders`), shared with its
officials' tokens and its other keys. The items are recorded in the transaction that
records the message in the inbox; the messages of a partition fetched together share one,
and ONE :func:`intake.submit_all` (the HTTP batch's code) decides and writes all their
items: a few statements a fetched batch, not a few a message. There is no one to answer,
so every refused item is announced on ``funding.ledger`` (``authority-item.rejected``,
caused by its message); an unknown authority (or an authority's key without its region)
is a poison message: it fails its batch, which the inbox then applies one message at a
time, so it alone goes to the DLQ, with the reason.

The message is read leniently (:class:`Submission`): the contract says items are objects,
but an item that is a string or a number is one bad item, refused alone like any other,
not a reason to park the whole message with its valid items.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.funding import AuthorityEventsSubmittedV1
from synergia_shared.events.topics import FUNDING_AUTHORITY_INBOUND
from synergia_shared.http.auth import Role, authority_sender
from synergia_shared.messaging.inbox import InboxConsumer, PoisonEvent, event_context
from synergia_shared.messaging.outbox import PendingEvent, add_events

from synergia_funding.authority import intake
from synergia_funding.authority.schemas import MAX_BATCH_ITEMS, BatchResult, ItemResult
from synergia_funding.authority.senders import api_key_sender
from synergia_funding.ledger import service as ledger
from synergia_funding.settings import FundingSettings

logger = logging.getLogger(__name__)

SUBMITTED = "eu.synergia.funding.authority-events.submitted.v1"


def authorities(settings: FundingSettings) -> dict[str, intake.Authority]:
    """The API-key clients allowed to push, by name."""
    known: dict[str, intake.Authority] = {}
    for entry in settings.parsed_api_keys():
        roles = entry.get("roles", [Role.AUTHORITY.value])
        if Role.AUTHORITY.value in roles or Role.ADMIN.value in roles:
            if Role.ADMIN.value in roles:
                known[entry["name"]] = intake.Authority(api_key_sender(entry["name"]), None)
            elif entry.get("region"):
                region = entry["region"]
                known[entry["name"]] = intake.Authority(authority_sender(region), region)
    return known


class Submission(AuthorityEventsSubmittedV1):
    """The contract's message with its items left unchecked: :func:`intake.submit`
    validates each on its own. The committed schema is unchanged, so producers are still
    told to send objects; this reader only tolerates a producer's mistake per item."""

    items: list[Any] = Field(min_length=1)  # wider than the contract on purpose


def authority_inbound(settings: FundingSettings) -> InboxConsumer:
    known = authorities(settings)

    def submission(event: CloudEvent, data: Submission) -> intake.Submission:
        authority = known.get(data.authority)
        if authority is None:
            raise PoisonEvent(
                f"unknown authority {data.authority!r}: not a configured API key of an "
                "authority with its region, nor an administrator's"
            )
        if len(data.items) > MAX_BATCH_ITEMS:
            raise PoisonEvent(f"{len(data.items)} items; at most {MAX_BATCH_ITEMS} a message")
        return intake.Submission(authority, data.items, loc_root=("data", "items"), cause=event)

    async def on_submitted(
        session: AsyncSession, messages: Sequence[tuple[CloudEvent, Any]]
    ) -> None:
        # A poison message fails the whole batch, which the inbox then applies one
        # message at a time: the poison one alone goes to the DLQ.
        submissions = [submission(event, data) for event, data in messages]
        results = await intake.submit_all(session, submissions)
        for (event, _), given, result in zip(messages, submissions, results, strict=True):
            with event_context(event):
                await _announce_refusals(session, given.authority, result)

    return InboxConsumer.applying_batches(
        name="funding.authority-inbound",
        topics=[FUNDING_AUTHORITY_INBOUND],
        event_types=[SUBMITTED],
        apply_events=on_submitted,
        models={SUBMITTED: Submission},
    )


async def _announce_refusals(
    session: AsyncSession, authority: intake.Authority, result: BatchResult
) -> None:
    refused = [r for r in result.items if r.status == "rejected" and not r.replayed]
    if refused:
        await add_events(session, [_refused(authority, r) for r in refused])
    logger.info(
        "authority items received",
        extra={
            "authority": authority.system,
            "applied": result.applied,
            "parked": result.parked,
            "rejected": result.rejected,
        },
    )


def _refused(authority: intake.Authority, result: ItemResult) -> PendingEvent:
    # An item without a usable external id is named by its position in the message.
    return ledger.item_rejected(
        authority.system,
        result.external_id or f"#{result.index}",
        result.problem.detail if result.problem is not None else "refused",
    )
