"""registry: POST /v1/imports/cordis against real PostgreSQL, with the outbox checked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.stack import TestStack, auth

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "cordis" / "organization_sample.csv"
URL = "/v1/imports/cordis"
CSV = {"Content-Type": "text/csv"}

# organisationID -> (kind, country, NUTS code, NUTS version) the sample file should give.
EXPECTED = {
    "999912340": ("other", "EL", "EL303", "2021"),
    "999912341": ("sme", "EL", "EL30", "2021"),
    "999912342": ("university", "UK", "UKI32", "2016"),
    "999912343": ("large_enterprise", "UK", None, None),
    "999912344": ("research_organisation", "DE", "DE212", "2021"),
    "999912345": ("other", "IT", "ITC4C", "2021"),
    "999912346": ("public_authority", "ES", None, None),
    "999912347": ("sme", "FR", "FR101", "2021"),
    "999912348": ("university", "NL", "NL33C", "2021"),
    "999912349": ("large_enterprise", "US", None, None),
    "999912350": ("sme", "PL", "PL911", "2021"),
    "999912351": ("research_organisation", "NO", "NO081", "2021"),
    "999912352": ("sme", "PT", "PT170", "2021"),
    "999912353": ("other", "BE", None, None),
}


async def streamed(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    """The body in small chunks, so the server reads it as a stream."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def import_csv(registry: httpx.AsyncClient, data: bytes) -> dict[str, Any]:
    response = await registry.post(
        URL, content=streamed(data), headers={**CSV, **auth("admin")}, timeout=120
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def fetch(stack: TestStack, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


async def outbox(stack: TestStack) -> list[dict[str, Any]]:
    rows = await fetch(stack, "SELECT event_type, aggregate_id, payload FROM outbox ORDER BY id")
    return [
        {"type": r["event_type"], "subject": r["aggregate_id"], **json.loads(r["payload"])}
        for r in rows
    ]


async def actors_by_pic(stack: TestStack) -> dict[str, asyncpg.Record]:
    rows = await fetch(stack, "SELECT * FROM actors")
    return {row["pic"]: row for row in rows}


async def test_import_registers_one_actor_per_organisation_and_reports_each_row(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    report = await import_csv(registry, SAMPLE.read_bytes())

    assert {k: v for k, v in report.items() if isinstance(v, int)} == {
        "rows_read": 30,
        "rows_accepted": 29,
        "rows_rejected": 1,
        "organisations": 14,
        "created": 14,
        "updated": 0,
        "unchanged": 0,
        "organisations_rejected": 0,
        "rejections_total": 1,
        "warnings_total": 4,
        "listing_limit": 1000,
    }
    [rejection] = report["rejections"]
    assert rejection["line"] == 26
    assert rejection["organisation_id"] == "999912354"
    assert "ecContribution" in rejection["reason"]
    assert "12,5,0" in rejection["reason"]
    warnings = {(w["organisation_id"], w["field"]): w for w in report["warnings"]}
    assert set(warnings) == {
        ("999912343", "nutsCode"),  # UKZ99 does not exist
        ("999912353", "nutsCode"),  # NL329 is not in Belgium
        ("999912347", "vatNumber"),  # wrong check digits
        ("999912345", "SME"),  # PRC with the SME flag always empty
    }
    assert warnings[("999912353", "nutsCode")]["line"] == 25
    assert "not BE" in warnings[("999912353", "nutsCode")]["message"]

    actors = await actors_by_pic(stack)
    assert set(actors) == set(EXPECTED), "one actor per organisation, the bad row's one absent"
    for pic, (kind, country, nuts, nuts_version) in EXPECTED.items():
        actor = actors[pic]
        assert (actor["kind"], actor["country"], actor["nuts_code"], actor["nuts_version"]) == (
            kind,
            country,
            nuts,
            nuts_version,
        ), pic
        assert actor["cordis_organisation_id"] == pic
        assert actor["version"] == 1
        assert actor["sme_declared"] is None, "CORDIS says SME or not, never the category"

    cluster = actors["999912340"]
    assert cluster["legal_name"] == "Olympic Agri-Food Cluster", "the 2021 row wins over 2019/2020"
    assert cluster["vat_number"] == "EL094259216"
    assert cluster["website"] == "http://www.oafc.gr"
    assert actors["999912341"]["kind"] == "sme", "SME true in one row, empty in two"
    assert actors["999912344"]["legal_name"] == 'Institut für Angewandte Sensorik "IAS" e.V.'
    assert actors["999912346"]["legal_name"] == (
        "Ayuntamiento de Madrid; Área de Economía e Innovación"
    )
    assert actors["999912347"]["vat_number"] is None, "the invalid VAT number was dropped"
    assert actors["999912342"]["vat_number"] == "GB123456782"

    events = await outbox(stack)
    assert [e["type"] for e in events] == ["eu.synergia.registry.actor.registered.v1"] * 14
    assert {e["subject"] for e in events} == {str(a["id"]) for a in actors.values()}
    assert {e["data"]["pic"] for e in events} == set(EXPECTED)

    # The API shows the imported actor like any other.
    response = await registry.get(f"/v1/actors/{actors['999912342']['id']}", headers=auth())
    assert response.status_code == 200
    assert response.json()["country_standing"] == "united_kingdom"


async def test_importing_the_same_file_again_changes_nothing_and_publishes_nothing(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    await import_csv(registry, SAMPLE.read_bytes())
    before = await actors_by_pic(stack)
    events_before = await outbox(stack)

    again = await import_csv(registry, SAMPLE.read_bytes())

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 14)
    assert again["rows_rejected"] == 1, "the bad row is still reported"
    assert await outbox(stack) == events_before, "no new outbox rows"
    after = await actors_by_pic(stack)
    assert {p: (a["version"], a["updated_at"]) for p, a in after.items()} == {
        p: (a["version"], a["updated_at"]) for p, a in before.items()
    }


async def test_a_changed_name_in_a_later_file_updates_that_actor_only(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    data = SAMPLE.read_bytes()
    await import_csv(registry, data)
    events_before = await outbox(stack)
    renamed = data.replace(b"Nordlys Forskning AS", b"Nordlys Forskningsinstitutt AS")

    # This time as a browser form upload.
    response = await registry.post(
        URL,
        files={"file": ("organization.csv", renamed, "text/csv")},
        data={"note": "monthly refresh"},
        headers=auth("admin"),
    )

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 13)
    nordlys = (await actors_by_pic(stack))["999912351"]
    assert nordlys["legal_name"] == "Nordlys Forskningsinstitutt AS"
    assert nordlys["version"] == 2
    new = (await outbox(stack))[len(events_before) :]
    assert [(e["type"], e["subject"]) for e in new] == [
        ("eu.synergia.registry.actor.updated.v1", str(nordlys["id"]))
    ]
    assert new[0]["data"]["legal_name"] == "Nordlys Forskningsinstitutt AS"
    assert new[0]["sequence"] == 2


async def test_an_actor_registered_by_hand_is_linked_by_its_pic_not_duplicated(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    by_hand = await registry.post(
        "/v1/actors",
        json={
            "legal_name": "Olympic Agri-Food Cluster",
            "short_name": "OAFC",
            "kind": "cluster_organisation",
            "country": "GR",
            "pic": "999912340",
            "nuts_code": "EL303",
            "nuts_version": "2021",
            "website": "https://oafc.example.gr",
        },
        headers=auth("admin"),
    )
    assert by_hand.status_code == 201, by_hand.text
    actor_id = by_hand.json()["id"]

    report = await import_csv(registry, SAMPLE.read_bytes())

    assert (report["created"], report["updated"], report["unchanged"]) == (13, 1, 0)
    actor = (await actors_by_pic(stack))["999912340"]
    assert str(actor["id"]) == actor_id
    assert actor["cordis_organisation_id"] == "999912340"
    assert actor["kind"] == "cluster_organisation", "CORDIS's OTH does not replace a finer kind"
    assert actor["vat_number"] == "EL094259216", "a value the file adds is taken"
    assert actor["website"] == "http://www.oafc.gr", "and the file's website wins"
    updated = [e for e in await outbox(stack) if e["subject"] == actor_id]
    assert [e["type"] for e in updated] == [
        "eu.synergia.registry.actor.registered.v1",
        "eu.synergia.registry.actor.updated.v1",
    ]

    again = await import_csv(registry, SAMPLE.read_bytes())
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 14)


async def test_only_an_admin_may_import(registry: httpx.AsyncClient, stack: TestStack) -> None:
    data = SAMPLE.read_bytes()
    no_token = await registry.post(URL, content=data, headers=CSV)
    assert no_token.status_code == 401
    assert no_token.headers["content-type"] == "application/problem+json"
    assert no_token.headers["www-authenticate"] == "Bearer"

    for role in ("cluster_manager", "sme", "viewer", "investor", "authority"):
        claims = {"region": "ITH3"} if role == "authority" else {}
        forbidden = await registry.post(URL, content=data, headers={**CSV, **auth(role, **claims)})
        assert forbidden.status_code == 403, role
        assert forbidden.headers["content-type"] == "application/problem+json"

    assert await fetch(stack, "SELECT id FROM actors") == []
    assert await outbox(stack) == []


@pytest.mark.parametrize(
    ("body", "content_type", "status", "needle"),
    [
        (bytes(range(256)) * 40, "text/csv", 422, "not UTF-8"),
        (b"", "text/csv", 422, "empty"),
        (b"name,age\nAda,36\n", "text/csv", 422, "lacks the column(s) organisationID"),
        (b"hello world, this is not a CSV file\n", "text/csv", 422, "not a header"),
        (b'{"organisations": []}', "application/json", 415, "text/csv"),
    ],
)
async def test_a_body_that_is_not_a_cordis_file_is_a_problem_and_imports_nothing(
    registry: httpx.AsyncClient,
    stack: TestStack,
    body: bytes,
    content_type: str,
    status: int,
    needle: str,
) -> None:
    response = await registry.post(
        URL, content=body, headers={"Content-Type": content_type, **auth("admin")}
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert needle in response.json()["detail"]
    assert await fetch(stack, "SELECT id FROM actors") == []


async def test_a_bad_row_at_the_end_of_a_file_does_not_undo_the_good_ones_before_it(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    """A garbled line is one rejection; an unreadable file (bad bytes late) is all-or-nothing."""
    garbled = SAMPLE.read_bytes() + b'999;"unterminated;quote\n'
    report = await import_csv(registry, garbled)
    assert report["created"] == 14
    assert report["rows_rejected"] == 2
    assert "malformed CSV" in report["rejections"][-1]["reason"]

    late_garbage = SAMPLE.read_bytes().replace(b"Nordlys", b"Nordl\xffys")
    response = await registry.post(URL, content=late_garbage, headers={**CSV, **auth("admin")})
    assert response.status_code == 422
    assert "nothing was imported" in response.json()["detail"]


async def test_a_form_without_the_file_field_is_a_422(registry: httpx.AsyncClient) -> None:
    response = await registry.post(
        URL,
        files={"upload": ("organization.csv", SAMPLE.read_bytes(), "text/csv")},
        headers=auth("admin"),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body"], "msg": "the form has no field 'file' holding the file"}
    ]


async def test_an_imported_actor_is_stored_and_announced_as_a_hand_registered_one(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    """The import registers in batches; the result must be what POST /v1/actors gives."""
    header, *lines = SAMPLE.read_bytes().splitlines(keepends=True)
    olive = next(line for line in lines if line.startswith(b"777321;OLIVE4EU;999912341"))
    await import_csv(registry, header + olive)
    by_hand = await registry.post(
        "/v1/actors",
        json={
            "legal_name": "Olive Sensors IKE",
            "short_name": "OLSENS",
            "kind": "sme",
            "country": "EL",
            "vat_number": "EL800123456",
            "website": "https://olivesensors.example.gr",
            "nuts_code": "EL30",
            "nuts_version": "2021",
        },
        headers=auth("admin"),
    )
    assert by_hand.status_code == 201, by_hand.text

    differ = {"id", "pic", "cordis_organisation_id", "created_at", "updated_at"}
    imported, hand = sorted(
        await fetch(stack, "SELECT * FROM actors"), key=lambda row: row["pic"] is None
    )
    assert imported["pic"] == "999912341"
    assert {k: v for k, v in imported.items() if k not in differ} == {
        k: v for k, v in hand.items() if k not in differ
    }
    registered, announced = (e["data"] for e in await outbox(stack))
    differ_in_event = {"actor_id", "pic", "registered_at"}
    assert {k: v for k, v in registered.items() if k not in differ_in_event} == {
        k: v for k, v in announced.items() if k not in differ_in_event
    }


async def test_two_imports_at_once_register_each_organisation_once(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    data = SAMPLE.read_bytes()
    first, second = await asyncio.gather(import_csv(registry, data), import_csv(registry, data))

    assert first["created"] + second["created"] == 14
    for report in (first, second):
        assert report["created"] + report["updated"] + report["unchanged"] == 14
        assert report["organisations_rejected"] == 0
    assert len(await actors_by_pic(stack)) == 14
    events = await outbox(stack)
    assert [e["type"] for e in events] == ["eu.synergia.registry.actor.registered.v1"] * 14


async def test_an_organisation_that_cannot_be_placed_is_rejected_whole_with_the_reason(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    ids = []
    for name, pic in (("Olympic Agri-Food Cluster", "999912340"), ("OAFC duplicate", None)):
        response = await registry.post(
            "/v1/actors",
            json={"legal_name": name, "kind": "cluster_organisation", "country": "EL", "pic": pic},
            headers=auth("admin"),
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    # The API does not set CORDIS links: a direct UPDATE makes the second actor claim the
    # organisation whose PIC the first one holds.
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        await conn.execute(
            "UPDATE actors SET cordis_organisation_id = '999912340' WHERE id = $1::uuid", ids[1]
        )
    finally:
        await conn.close()

    report = await import_csv(registry, SAMPLE.read_bytes())

    assert (report["created"], report["organisations_rejected"]) == (13, 1)
    assert report["rows_rejected"] == 1 + 3, "the bad row and the organisation's three rows"
    assert report["rows_accepted"] == 30 - 4
    rejection = next(r for r in report["rejections"] if r["organisation_id"] == "999912340")
    assert rejection["line"] == 2
    assert ids[0] in rejection["reason"]
    assert ids[1] in rejection["reason"]
    assert "all 3 rows" in rejection["reason"]


async def test_a_deactivated_actor_is_left_as_it_is(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    data = SAMPLE.read_bytes()
    await import_csv(registry, data)
    nordlys = (await actors_by_pic(stack))["999912351"]
    response = await registry.post(
        f"/v1/actors/{nordlys['id']}/deactivate",
        json={"reason": "merged into another institute"},
        headers={**auth("admin"), "If-Match": f'"{nordlys["version"]}"'},
    )
    assert response.status_code == 200, response.text
    events_before = await outbox(stack)

    report = await import_csv(registry, data.replace(b"Nordlys Forskning AS", b"Nordlys AS"))

    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 14)
    assert any(
        w["organisation_id"] == "999912351" and "deactivated" in w["message"]
        for w in report["warnings"]
    )
    assert (await actors_by_pic(stack))["999912351"]["legal_name"] == "Nordlys Forskning AS"
    assert await outbox(stack) == events_before


async def test_a_website_the_actor_model_refuses_rejects_its_organisation_with_the_reason(
    registry: httpx.AsyncClient,
) -> None:
    """The import reads ``HTTP://…`` as a web address, the actor model only a lower-case
    scheme: the organisation is rejected with the model's reason, the others registered."""
    header, first = SAMPLE.read_text(encoding="utf-8-sig").splitlines()[:2]
    upper = first.replace('"www.oafc.gr"', '"HTTP://WWW.OAFC.GR"')
    lower = first.replace('"www.oafc.gr"', '"https://oafc.example.gr"').replace(
        "999912340", "999912399"
    )
    report = await import_csv(registry, "\n".join([header, upper, lower, ""]).encode())

    assert (report["created"], report["organisations_rejected"]) == (1, 1)
    [rejection] = report["rejections"]
    assert (rejection["line"], rejection["organisation_id"]) == (2, "999912340")
    assert rejection["reason"] == "website: String should match pattern '^https?://\\S+$'"
