"""What the HTTP views of an actor projection (matching's profile, funding's beneficiary)
have in common: the actor's identity, its shared contacts, and the answer for an actor
whose registration has not arrived.

A service's view extends :class:`ProjectedActor` with its own fields, in its own order;
the OpenAPI schemas keep the services' own names (``Profile``, ``Beneficiary``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from synergia_shared.events.registry import ActorKind
from synergia_shared.http.problems import ProblemException, not_found


class SharedContactView(BaseModel):
    """A contact person whose consent covers being shown to partners."""

    name: str
    email: str
    role: str | None


class ProjectedActor(BaseModel):
    """Who the actor is, as the registry's events say: the fields every view starts with."""

    actor_id: uuid.UUID
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str
    registered_at: datetime


NaceCodes = Annotated[list[str], Field(description="NACE codes, e.g. C28.11")]
Ecosystems = Annotated[
    list[str], Field(description="Industrial ecosystems of the EU Industrial Strategy")
]
SmeCategory = Annotated[
    str | None, Field(description="micro, small, medium or not_sme as computed by the registry")
]
SHARED_CONTACTS_DESCRIPTION = (
    "Only contact persons whose consent covers being shown to partners; "
    "emptied when the actor's personal data is erased."
)

# The example actor of the views' OpenAPI examples: its identity and place, then what it
# is (sectors), then its standing.
EXAMPLE_IDENTITY: dict[str, Any] = {
    "actor_id": "3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21",
    "legal_name": "Baltic Photonics UAB",
    "short_name": "BalPho",
    "kind": "sme",
    "country": "LT",
    "registered_at": "2026-11-24T09:30:00Z",
    "nuts_code": "LT011",
    "nace_codes": ["C26.70"],
    "ecosystems": ["electronics"],
}
EXAMPLE_STANDING: dict[str, Any] = {
    "sme_category": "small",
    "active": True,
    "shared_contacts": [{"name": "Rūta Kazlauskienė", "email": "ruta@balpho.lt", "role": "CEO"}],
}


def example(between: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The example actor with a view's own fields: ``between`` its sectors and standing,
    ``after`` at the end (the order the view's fields have)."""
    return {**EXAMPLE_IDENTITY, **between, **EXAMPLE_STANDING, **after}


def not_known_here(actor_id: uuid.UUID) -> ProblemException:
    """The 404 of an actor the projection does not hold: the registry may not have it,
    or its registration has not arrived yet (the projection is eventually consistent)."""
    return not_found(
        f"actor {actor_id} is not known here: unknown, or its registration has not arrived yet",
    )
