"""A frontend team's first hour: fetch the registry's OpenAPI document from the running
service, generate a Python client with openapi-python-client, register an actor through it
and read it back as typed objects."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import httpx

from tests.support.generated_clients import (
    generate_python_client,
    import_from,
    python_client_warnings,
    unique_package_name,
    write_document,
)
from tests.support.stack import TestStack, token


async def test_an_actor_registered_through_the_generated_client_reads_back_typed(
    registry: httpx.AsyncClient, stack: TestStack, tmp_path: Path
) -> None:
    base_url = f"http://127.0.0.1:{stack.registry_port}"
    async with httpx.AsyncClient(base_url=base_url) as http:
        document = (await http.get("/openapi.json")).raise_for_status().json()
    package_dir = tmp_path / unique_package_name("registry")
    generation = await asyncio.to_thread(
        generate_python_client, write_document(document, tmp_path / "registry.json"), package_dir
    )
    assert generation.returncode == 0, generation.output
    assert python_client_warnings(generation) == []
    models = import_from(package_dir, "models")
    register_actor = import_from(package_dir, "api.actors.register_actor")
    get_actor = import_from(package_dir, "api.actors.get_actor")
    client = import_from(package_dir, "client").AuthenticatedClient(
        base_url=base_url, token=token()
    )

    def accounts(year: int) -> object:
        return models.YearFiguresInput(
            year=year, headcount="6", turnover="900000", balance_sheet=700000
        )

    async with client:
        owner = await register_actor.asyncio(
            client=client,
            body=models.ActorCreate(
                legal_name="Generated Client Holding GmbH",
                kind=models.ActorKind.LARGE_ENTERPRISE,
                country="DE",
            ),
        )
        assert isinstance(owner, models.Actor), owner
        registered = await register_actor.asyncio_detailed(
            client=client,
            body=models.ActorCreate(
                legal_name="Generated Client Robotics GmbH",
                kind=models.ActorKind.SME,
                country="DE",
                financials=[accounts(2023), accounts(2024)],
                owners=[models.OwnerInput(owner_actor_id=owner.id, share_percent=30)],
            ),
            idempotency_key=str(uuid.uuid4()),
        )
        assert registered.status_code == 201, registered.content
        assert isinstance(registered.parsed, models.Actor)

        actor = await get_actor.asyncio(client=client, actor_id=registered.parsed.id)

    assert isinstance(actor, models.Actor), actor
    assert isinstance(actor.id, uuid.UUID)
    assert actor.id == registered.parsed.id
    assert actor.legal_name == "Generated Client Robotics GmbH"
    assert actor.kind is models.ActorKind.SME
    assert isinstance(actor.country_standing, models.CountryStanding)
    assert isinstance(actor.created_at, dt.datetime)
    assert [type(f).__name__ for f in actor.financials] == ["YearFigures", "YearFigures"]
    assert sorted(f.year for f in actor.financials) == [2023, 2024]
    assert {Decimal(f.balance_sheet) for f in actor.financials} == {Decimal(700000)}
    [held] = actor.owners
    assert isinstance(held, models.Owner)
    assert held.owner_actor_id == owner.id
    assert Decimal(held.share_percent) == 30
