"""Re-homing the items an authority's API key sent as ``api-key:<name>`` to its
authority's sender, ``authority:<NUTS>`` (:mod:`.senders`): a one-shot job.

Until the sender became the authority, an API key wrote under its own name. An entry's id
is derived from (sender, external id), so a key's old items would not be found by their
ids any more: a resent one would count again, and a payment could not name a commitment
the key sent before. This job moves each such item to the authority's sender with the id
that sender derives, and every reference to it (corrections, payments, parked items'
waits, rule flags' details) along, in one transaction; the nets are rebuilt.

An external id the authority's officials already used as well cannot move: the two items
both count today (that is what the change ends), and merging entries of an append-only
ledger is a correction for the authority to send, not for a job to guess. Such ids stay
under the key's old name and are listed in the job's report.

Run it once after deploying, before authorities send again (``python -m
synergia_funding.authority.rehoming``, with the service's settings); run again, it finds
nothing to move. It locks the ledger's tables against writers while it runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import create_engine, create_session_factory, unit_of_work
from synergia_shared.http.auth import Role, authority_sender

from synergia_funding.authority.senders import api_key_sender
from synergia_funding.ledger import codec
from synergia_funding.ledger import repository as ledger
from synergia_funding.ledger.service import REGISTRATION_PREFIX
from synergia_funding.settings import FundingSettings

logger = logging.getLogger(__name__)


def rehoming_plan(api_keys: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Old sender → new sender, for every authority key bound to a region."""
    plan: dict[str, str] = {}
    for key in api_keys:
        roles = key.get("roles", [Role.AUTHORITY.value])
        if Role.AUTHORITY.value in roles and Role.ADMIN.value not in roles and key.get("region"):
            plan[api_key_sender(key["name"])] = authority_sender(key["region"])
    return plan


def swap_ids(text: str, moves: Mapping[uuid.UUID, uuid.UUID]) -> str:
    """``text`` with every old id of ``moves`` written as its new one."""
    for old, new in moves.items():
        text = text.replace(str(old), str(new))
    return text


@dataclass
class Rehomed:
    old: str
    new: str
    moved: list[str] = field(default_factory=list)  # external ids
    kept: list[str] = field(default_factory=list)  # external ids the new sender has too


async def rehome(session: AsyncSession, old: str, new: str) -> Rehomed:
    """Move ``old``'s items to ``new`` in the caller's transaction (see the module)."""
    await ledger.lock_for_rehoming(session)
    report = Rehomed(old, new)
    theirs = await ledger.ids_of_sender(session, old)
    taken = await ledger.ids_of_sender(session, new)
    moves: dict[uuid.UUID, uuid.UUID] = {}
    for external_id, entry_id in sorted(theirs.items()):
        if external_id in taken:
            report.kept.append(external_id)
        else:
            report.moved.append(external_id)
            moves[entry_id] = codec.entry_id_for(new, external_id)
    if not moves:
        return report
    await ledger.move_entries(session, moves, new)
    for entry_id, flags in await ledger.flags_mentioning(session, list(moves)):
        await ledger.set_flags(session, entry_id, swap_ids(flags, moves))
    for row in await ledger.parked_of_sender(session, old):
        await ledger.replace_parked(session, row.entry_id, _parked_values(row, moves, new))
    return report


def _parked_values(row: Any, moves: Mapping[uuid.UUID, uuid.UUID], new: str) -> dict[str, Any]:
    """A parked row of the old sender with the moved ids: its own (if it moves), and
    those it refers to or waits for. A moving row's references to items not arrived yet
    are derived anew, in the new sender's namespace, from the external ids it keeps for
    them (``refers_to``): the new sender will send them under its own name."""
    moving = row.entry_id in moves
    row_moves = dict(moves)
    if moving:
        for key, name in row.refers_to.items():
            if not name.startswith(REGISTRATION_PREFIX):
                row_moves.setdefault(uuid.UUID(key), codec.entry_id_for(new, name))
    entry = json.loads(swap_ids(json.dumps(row.entry), row_moves))
    values: dict[str, Any] = {
        "entry": entry,
        "waiting_for": [row_moves.get(w, w) for w in row.waiting_for],
        "refers_to": json.loads(swap_ids(json.dumps(row.refers_to), row_moves)),
    }
    if row.problem is not None:
        values["problem"] = json.loads(swap_ids(json.dumps(row.problem), row_moves))
    if moving:
        entry["external_system"] = new
        values.update(entry_id=moves[row.entry_id], external_system=new)
    return values


async def rehome_all(settings: FundingSettings) -> list[Rehomed]:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    reports = []
    try:
        async with unit_of_work(sessions) as session:
            for old, new in rehoming_plan(settings.parsed_api_keys()).items():
                reports.append(await rehome(session, old, new))
    finally:
        await engine.dispose()
    return reports


def main() -> None:
    for report in asyncio.run(rehome_all(FundingSettings())):
        print(
            f"{report.old} -> {report.new}: {len(report.moved)} items moved; "
            f"{len(report.kept)} kept under {report.old}, their external ids being "
            f"{report.new}'s too: {', '.join(report.kept) or 'none'}"
        )


if __name__ == "__main__":
    main()
