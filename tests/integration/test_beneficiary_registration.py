"""A regional authority registers the beneficiaries it pays, in bulk: matched against the
actors the registry knows (by its own ids, PIC, VAT number, national identifier), with
similar names reported, only in its own region, and a resent batch creating nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings

from tests.support.beneficiaries import (
    API_KEYS,
    BATCH,
    BY_KEY,
    CSV,
    beneficiary,
    by_external_id,
    by_token,
    counts,
    eik,
    fetch,
    published,
    register,
)
from tests.support.stack import TestStack, auth, running_app

REGISTERED = "eu.synergia.registry.actor.registered.v1"
AGRO_STRUMA = "Агро Струма ЕООД"  # noqa: RUF001 (Cyrillic, as Bulgarian registers write it)


@pytest.fixture
async def registry(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings(  # type: ignore[arg-type]
        **stack.settings_kwargs("registry"), api_keys=API_KEYS
    )
    async with running_app(create_registry(settings), "http://registry") as client:
        yield client


async def admin_registers(registry: httpx.AsyncClient, **fields: object) -> str:
    body = {"kind": "sme", "country": "BG", **fields}
    response = await registry.post("/v1/actors", json=body, headers=auth("admin"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_an_authority_registers_in_its_region_by_api_key_and_by_token_as_one_sender(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    by_machine = await register(
        registry, [beneficiary("SW-1", "Струма Мехатроника ЕООД", national_id=eik(1))]
    )
    by_person = await register(
        registry,
        [beneficiary("SW-2", "Sofia Photonics AD", nuts_code="BG411", national_id=eik(2))],
        headers=by_token(),
    )

    for body in (by_machine, by_person):
        assert body["sender"] == "authority:BG41", "the officials and the API key: one sender"
        assert (body["registered"], body["matched"], body["rejected"]) == (1, 0, 0)
        assert body["items"][0]["status"] == "registered"
    actor_id = by_machine["items"][0]["actor_id"]
    actor = (await registry.get(f"/v1/actors/{actor_id}", headers=auth("viewer"))).json()
    assert (actor["legal_name"], actor["kind"], actor["nuts_code"]) == (
        "Струма Мехатроника ЕООД",
        "other",
        "BG413",
    )
    assert (actor["national_id_scheme"], actor["national_id"]) == ("BG-EIK", eik(1))
    assert await counts(stack) == (2, 2)

    again = await register(
        registry, [beneficiary("SW-1", "Струма Мехатроника ЕООД")], headers=by_token()
    )
    item = again["items"][0]
    assert (item["status"], item["actor_id"], item["replayed"]) == ("matched", actor_id, True)
    assert item["matched_by"] == ["external_id"], "the key's external id is the official's too"


async def test_a_mixed_batch_keeps_the_valid_items_and_says_what_is_wrong_with_the_others(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    items = [
        beneficiary("OK-1", "Blagoevgrad Wood Works", national_id=eik(10)),
        beneficiary("BURGAS-1", "Burgas Shipyard Services", nuts_code="BG341"),
        beneficiary("BAD-EIK", "Rila Dairy", national_id="175074751"),
        {**beneficiary("BAD-FIELD", "Pirin Honey"), "colour": "blue"},
        {k: v for k, v in beneficiary("NO-REGION", "Mesta Foods").items() if k != "nuts_code"},
        beneficiary("OK-2", "Sandanski Wellness", vat_number=f"BG{eik(11)}"),
    ]
    body = await register(registry, items)

    assert [i["index"] for i in body["items"]] == list(range(6))
    assert (body["registered"], body["rejected"]) == (2, 4)
    results = by_external_id(body)
    assert results["OK-1"]["status"] == results["OK-2"]["status"] == "registered"
    outside = results["BURGAS-1"]["problem"]
    assert outside["status"] == 403
    assert "BG341 is outside BG41" in outside["detail"]
    bad_eik = results["BAD-EIK"]["problem"]
    assert bad_eik["status"] == 422
    assert bad_eik["errors"] == [
        {
            "loc": ["body", "items", 2, "national_id"],
            "msg": "'175074751' is not a valid EIK/BULSTAT (ЕИК): its check digit is wrong",
        }
    ]
    assert results["BAD-FIELD"]["problem"]["errors"] == [
        {"loc": ["body", "items", 3, "colour"], "msg": "unknown field"}
    ]
    no_region = results["NO-REGION"]["problem"]
    assert no_region["status"] == 422
    assert "nuts_code is needed" in no_region["detail"]
    assert await counts(stack) == (2, 2), "the refused items left nothing behind"


async def test_an_authority_may_not_change_anyone_s_profile(registry: httpx.AsyncClient) -> None:
    actor_id = await admin_registers(registry, legal_name="Someone Else Ltd", nuts_code="BG413")
    body = await register(registry, [beneficiary("OWN-1", "Own Beneficiary Ltd")])
    own = body["items"][0]["actor_id"]

    for headers in (by_token(), BY_KEY):
        for target in (actor_id, own):
            patched = await registry.patch(
                f"/v1/actors/{target}",
                json={"website": "https://example.org"},
                headers={**headers, "If-Match": '"1"'},
            )
            assert patched.status_code == 403, patched.text
            assert patched.headers["content-type"] == "application/problem+json"
            deactivated = await registry.post(
                f"/v1/actors/{target}/deactivate", headers={**headers, "If-Match": '"1"'}
            )
            assert deactivated.status_code == 403
    actor = (await registry.get(f"/v1/actors/{actor_id}", headers=auth("viewer"))).json()
    assert (actor["website"], actor["active"], actor["version"]) == (None, True, 1)


async def test_known_organisations_are_matched_by_pic_vat_number_or_national_identifier(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    by_pic = await admin_registers(registry, legal_name="Pirin Research", pic="999912345")
    by_vat = await admin_registers(registry, legal_name="Rila Foods", vat_number=f"BG{eik(20)}")
    by_national = await admin_registers(
        registry, legal_name="Vitosha Tech", national_id=eik(21), national_id_scheme="BG-EIK"
    )
    before = await counts(stack)

    body = await register(
        registry,
        [
            beneficiary("M-PIC", "Pirin Research Institute", pic="999 912 345"),
            beneficiary("M-EIK-OF-VAT", "Rila Foods EOOD", national_id=eik(20)),
            beneficiary("M-VAT-OF-EIK", "Vitosha Technologies", vat_number=f"BG {eik(21)}"),
            beneficiary("M-EIK", "VITOSHA TECH", national_id=eik(21)),
            # Outside the region: a match creates nothing, so the region does not matter.
            beneficiary("M-BURGAS", "Pirin", pic="999912345", nuts_code="BG341"),
            beneficiary("TWO", "Pirin Rila", pic="999912345", national_id=eik(20)),
        ],
    )

    results = by_external_id(body)
    expected = {
        "M-PIC": (by_pic, ["pic"]),
        "M-EIK-OF-VAT": (by_vat, ["national_id"]),
        "M-VAT-OF-EIK": (by_national, ["vat_number"]),
        "M-EIK": (by_national, ["national_id"]),
        "M-BURGAS": (by_pic, ["pic"]),
    }
    for external_id, (actor_id, matched_by) in expected.items():
        result = results[external_id]
        assert (result["status"], result["actor_id"], result["matched_by"]) == (
            "matched",
            actor_id,
            matched_by,
        ), external_id
        assert result["replayed"] is False
    conflict = results["TWO"]["problem"]
    assert conflict["status"] == 409
    assert by_pic in conflict["detail"]
    assert by_vat in conflict["detail"]
    assert await counts(stack) == before, "a match creates no actor and publishes nothing"
    links = await fetch(stack, "SELECT external_id, actor_id FROM actor_external_ids")
    assert {r["external_id"]: str(r["actor_id"]) for r in links} == {
        k: v[0] for k, v in expected.items()
    }, "the sender's ids now name the matched actors"


async def test_a_similar_name_is_a_possible_duplicate_until_the_sender_confirms(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    existing = await admin_registers(registry, legal_name=AGRO_STRUMA, nuts_code="BG413")
    with_pic = await admin_registers(registry, legal_name="Melnik Wines Ltd", pic="999900001")

    first = await register(
        registry,
        [
            beneficiary("D-1", "AGRO STRUMA Ltd."),
            beneficiary("D-2", "Melnik Wines OOD", pic="999900002"),  # another PIC: another firm
        ],
    )
    results = by_external_id(first)
    assert results["D-1"]["status"] == "possible_duplicate"
    assert results["D-1"]["actor_id"] is None
    assert results["D-1"]["candidates"] == [
        {"actor_id": existing, "legal_name": AGRO_STRUMA, "nuts_code": "BG413"}
    ]
    assert results["D-2"]["status"] == "registered"
    assert results["D-2"]["actor_id"] != with_pic
    assert (first["possible_duplicates"], first["registered"]) == (1, 1)

    confirmed = await register(
        registry, [beneficiary("D-1", "AGRO STRUMA Ltd.", allow_similar_name=True)]
    )
    item = confirmed["items"][0]
    assert item["status"] == "registered"
    assert item["actor_id"] != existing
    assert await counts(stack) == (4, 4)


async def test_the_same_batch_twice_creates_nothing_the_second_time(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    items = [
        beneficiary("R-1", "Bansko Ski Services", national_id=eik(30)),
        beneficiary("R-2", "Razlog Timber", pic="999900030"),
        beneficiary("R-3", "Gotse Delchev Tobacco Cooperative"),  # no identifier at all
        beneficiary("R-4", "Bansko Ski Services Ltd", vat_number=f"BG{eik(30)}"),  # = R-1
    ]
    first = await register(registry, items)
    assert (first["registered"], first["matched"]) == (3, 1)
    assert by_external_id(first)["R-4"]["actor_id"] == by_external_id(first)["R-1"]["actor_id"]
    assert by_external_id(first)["R-4"]["matched_by"] == ["vat_number"]
    after_first = await counts(stack)

    second = await register(registry, items, headers=by_token())

    assert (second["registered"], second["matched"], second["rejected"]) == (0, 4, 0)
    for before, after in zip(first["items"], second["items"], strict=True):
        assert after["actor_id"] == before["actor_id"]
        assert after["replayed"] is True
        assert after["matched_by"][0] == "external_id"
    assert await counts(stack) == after_first == (3, 3)
    links = await fetch(stack, "SELECT count(*) FROM actor_external_ids")
    assert links[0][0] == 4


async def test_a_csv_upload_registers_rows_and_names_the_row_of_a_problem(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    csv = (
        "external_id;legal_name;country;nuts_code;national_id;allow_similar_name\n"
        f"C-1;Petrich Greenhouses EOOD;BG;BG413;{eik(40)};false\n"
        "C-2;Kresna Stone;BG;BG999;;\n"
        f"C-3;Simitli Mineral Water;BG;BG413;{eik(41)};\n"
    ).encode()
    response = await registry.post(
        CSV, content=csv, headers={**by_token(), "Content-Type": "text/csv"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["index"] for i in body["items"]] == [2, 3, 4], "row numbers, the header is row 1"
    assert [i["status"] for i in body["items"]] == ["registered", "rejected", "registered"]
    errors = body["items"][1]["problem"]["errors"]
    assert [e["loc"] for e in errors] == [["body", "row", 3, "nuts_code"]]
    assert await counts(stack) == (2, 2)

    again = await registry.post(CSV, content=csv, headers={**BY_KEY, "Content-Type": "text/csv"})
    assert [i["status"] for i in again.json()["items"]] == ["matched", "rejected", "matched"]
    assert await counts(stack) == (2, 2)


async def test_a_csv_with_an_unknown_column_is_refused_whole(registry: httpx.AsyncClient) -> None:
    response = await registry.post(
        CSV,
        content=b"external_id,legal_name,country,colour\nX,Y,BG,blue\n",
        headers={**BY_KEY, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "header"]
    assert "colour" in response.json()["errors"][0]["msg"]


async def test_who_may_register_in_bulk(registry: httpx.AsyncClient) -> None:
    items = {"items": [beneficiary("W-1", "Who Ltd")]}
    for role in ("sme", "cluster_manager", "viewer", "investor"):
        response = await registry.post(BATCH, json=items, headers=auth(role))
        assert response.status_code == 403, role
    assert (await registry.post(BATCH, json=items)).status_code == 401
    admin = await registry.post(
        BATCH,
        json={"items": [beneficiary("W-2", "Burgas Port", nuts_code="BG341")]},
        headers=auth("admin"),
    )
    assert admin.json()["items"][0]["status"] == "registered", "an administrator, anywhere"
    too_many = {"items": [beneficiary(f"N-{i}", f"N {i}") for i in range(5001)]}
    refused = await registry.post(BATCH, json=too_many, headers=BY_KEY)
    assert refused.status_code == 422
    assert "1 to 5000 items" in refused.json()["detail"]


async def test_registered_beneficiaries_reach_the_topic_with_their_identifier(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    body = await register(
        registry,
        [
            beneficiary("E-1", "Kyustendil Orchards", national_id=eik(50)),
            beneficiary("E-2", "Dupnitsa Textiles", pic="999900050"),
        ],
    )
    ids = {item["actor_id"] for item in body["items"]}

    events = [e for e in await published(stack, 2) if e.type == REGISTERED]

    assert {e.subject for e in events} == ids
    data = {e.data["legal_name"]: e.data for e in events}
    assert (
        data["Kyustendil Orchards"]["national_id_scheme"],
        data["Kyustendil Orchards"]["national_id"],
    ) == ("BG-EIK", eik(50))
    assert data["Dupnitsa Textiles"]["national_id"] is None
    for event in events:  # the event says what the registry stored
        stored = (await registry.get(f"/v1/actors/{event.subject}", headers=auth())).json()
        assert datetime.fromisoformat(event.data["registered_at"]) == datetime.fromisoformat(
            stored["created_at"]
        )
        assert (event.data["version"], event.data["nuts_code"], event.data["active"]) == (
            stored["version"],
            stored["nuts_code"],
            stored["active"],
        )
        assert event.data["sme_category"] == stored["sme"]["computed"]


async def test_the_national_identifier_is_part_of_the_profile_and_unique_per_scheme(
    registry: httpx.AsyncClient,
) -> None:
    first = await registry.post(
        "/v1/actors",
        json={
            "legal_name": "Bucharest Robotics",
            "kind": "sme",
            "country": "RO",
            "national_id": "RO 185 472 90",
        },
        headers=auth("sme"),
    )
    assert first.status_code == 201, first.text
    assert (first.json()["national_id_scheme"], first.json()["national_id"]) == (
        "RO-CUI",
        "18547290",
    )

    taken = await registry.post(
        "/v1/actors",
        json={
            "legal_name": "Robotics Two",
            "kind": "sme",
            "country": "RO",
            "national_id": "18547290",
        },
        headers=auth("sme"),
    )
    assert taken.status_code == 422
    assert taken.json()["errors"] == [
        {
            "loc": ["body", "national_id"],
            "msg": f"RO-CUI 18547290 is already actor {first.json()['id']}",
        }
    ]
    moved = await registry.patch(
        f"/v1/actors/{first.json()['id']}",
        json={"country": "BG"},
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["loc"] == ["body", "national_id"]
    assert "RO-CUI is a scheme of RO, not BG" in moved.json()["errors"][0]["msg"]


async def test_the_same_batch_sent_twice_at_once_registers_each_beneficiary_once(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    items = [
        beneficiary(f"TWIN-{n}", f"Twin Beneficiary {n}", national_id=eik(60 + n))
        for n in range(40)
    ]
    items += [beneficiary(f"TWIN-N{n}", f"Nameonly Beneficiary {n}") for n in range(40)]

    first, second = await asyncio.gather(
        register(registry, items), register(registry, items, headers=by_token())
    )

    assert first["registered"] + second["registered"] == 80
    assert first["matched"] + second["matched"] == 80
    for one, other in zip(first["items"], second["items"], strict=True):
        assert one["actor_id"] == other["actor_id"], one["external_id"]
    assert await counts(stack) == (80, 80)
