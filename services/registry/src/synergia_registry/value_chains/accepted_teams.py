"""The registry's side of an accepted team proposal: its members join the value chain.

matching proposes teams; accepting one is matching's event, and the value chain is the
registry's aggregate, so the registry applies it here, through the inbox (exactly once).
Members already taking part keep their role and stage; a member covering several stages
takes part on the first (one entry per actor); a second coordinator becomes a partner.
What cannot be applied is logged and skipped rather than retried forever: a closed value
chain, an actor deactivated since the proposal. The value chain's new state is published
as usual (``value-chain.updated.v1``).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.matching import TeamProposalAcceptedV1
from synergia_shared.events.topics import MATCHING_PROPOSAL
from synergia_shared.messaging.inbox import InboxConsumer

from synergia_registry.value_chains import repository, rules
from synergia_registry.value_chains.rules import ValueChainStatus
from synergia_registry.value_chains.service import publish_changed

logger = logging.getLogger(__name__)

PROPOSAL_ACCEPTED = "eu.synergia.matching.proposal.accepted.v1"


async def on_team_accepted(
    session: AsyncSession, event: CloudEvent, data: TeamProposalAcceptedV1
) -> None:
    context = {"value_chain_id": str(data.value_chain_id), "proposal_id": str(data.proposal_id)}
    row = await repository.get(session, data.value_chain_id, for_update=True)
    if row is None:
        logger.warning("accepted team for an unknown value chain skipped", extra=context)
        return
    if ValueChainStatus(row.status) in rules.FROZEN:
        logger.warning("accepted team for a %s value chain skipped", row.status, extra=context)
        return
    current = (await repository.children(session, [row.id]))[row.id]
    present = {p.actor_id for p in current.participants}
    stages = {s.id for s in current.stages}
    has_coordinator = any(p.role == "coordinator" for p in current.participants)
    refs = {
        r.id: r for r in await repository.actor_refs(session, [m.actor_id for m in data.members])
    }
    added: list[dict[str, object]] = []
    for member in data.members:
        ref = refs.get(member.actor_id)
        if member.actor_id in present:
            continue
        if ref is None or not ref.active:
            logger.warning(
                "accepted team member %s is unknown or inactive here; not added",
                member.actor_id,
                extra=context,
            )
            continue
        role = member.role
        if role == "coordinator":
            if has_coordinator:
                role = "partner"
            has_coordinator = True
        stage_id: uuid.UUID | None = next((s for s in member.stage_ids if s in stages), None)
        added.append(
            {
                "actor_id": member.actor_id,
                "position": len(current.participants) + len(added),
                "stage_id": stage_id,
                "role": role,
                "planned_budget": member.planned_budget,
            }
        )
        present.add(member.actor_id)
    if not added:
        logger.info("accepted team adds no one new", extra=context)
        return
    saved = await repository.save(session, row.id, row.version)
    assert saved is not None  # the row is locked at this version
    await repository.add_participants(session, row.id, added)
    await publish_changed(session, saved)
    logger.info("accepted team joined the value chain", extra={**context, "added": len(added)})


def accepted_teams() -> InboxConsumer:
    return InboxConsumer(
        name="registry.accepted-teams",
        topics=[MATCHING_PROPOSAL],
        handlers={PROPOSAL_ACCEPTED: on_team_accepted},
    )
