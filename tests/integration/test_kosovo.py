"""Kosovo (XK), as the CORDIS organisations export writes it: imported by the registry,
found by every country filter, and known to matching and funding."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import httpx

from tests.support.actors import projected
from tests.support.stack import auth

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "cordis" / "organization_sample.csv"


def cordis_file(**changes: str) -> bytes:
    """The sample export's header and its first row, changed as given (CORDIS's dialect:
    `;`, every value quoted, a byte-order mark)."""
    text = SAMPLE.read_text(encoding="utf-8-sig")
    header, first = list(csv.reader(io.StringIO(text), delimiter=";"))[:2]
    row = {**dict(zip(header, first, strict=True)), **changes}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerow([row[name] for name in header])
    return ("\ufeff" + out.getvalue()).encode()


KOSOVAR = cordis_file(
    projectID="874567",
    projectAcronym="AGRIVALUE",
    organisationID="999912399",
    vatNumber="XK600123456",
    name="PRISHTINA AGRITECH SH.P.K.",
    shortName="PAT",
    SME="true",
    activityType="PRC",
    street="Rruga Agim Ramadani 15",
    postCode="10000",
    city="PRISHTINE",
    country="XK",
    nutsCode="XK00",
    organizationURL="www.agritech.example",
    role="participant",
)


async def eventually_ok(client: httpx.AsyncClient, path: str, timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while (response := await client.get(path, headers=auth())).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, f"{path}: {response.text}"
        await asyncio.sleep(0.05)
    return response.json()


async def test_a_kosovar_organisation_from_cordis_is_imported_and_found_everywhere(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    imported = await registry.post(
        "/v1/imports/cordis",
        content=KOSOVAR,
        headers={"Content-Type": "text/csv", **auth("admin")},
    )
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["created"], report["rows_rejected"]) == (1, 0), "XK used to reject the row"
    assert report["warnings"] == [], "nothing dropped: the NUTS code and VAT number hold"

    # The registry: stored in the EU's code, found by the country filter in any case.
    for code in ("XK", "xk"):
        found = await registry.get("/v1/actors", params={"country": code}, headers=auth())
        assert found.status_code == 200, found.text
        assert [a["legal_name"] for a in found.json()["items"]] == ["PRISHTINA AGRITECH SH.P.K."]
    actor = found.json()["items"][0]
    assert actor["country"] == "XK"
    assert actor["nuts_code"] == "XK00"  # Kosovo's Statistical Region: NUTS 2024 only
    assert actor["vat_number"] == "XK600123456"
    assert actor["kind"] == "sme"
    # A third country in Horizon 2020 (the consortium rule's programme), so flagged.
    assert actor["country_standing"] == "third_country"
    assert actor["country_standing_horizon_europe"] == "associated_country"
    actor_id = actor["id"]

    # matching: projected, and found by a partner search's country constraint.
    offer = {"type": "technology_offer", "title": "Cold storage sensors for fruit growers"}
    etag = (await registry.get(f"/v1/actors/{actor_id}", headers=auth())).headers["ETag"]
    patched = await registry.patch(
        f"/v1/actors/{actor_id}",
        json={"offers": [offer]},
        headers={**auth("admin"), "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    await projected(matching, actor_id)
    search = {"needs": {"text": "cold storage sensors"}, "constraints": {"countries_in": ["xk"]}}
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        response = await matching.post("/v1/partner-searches", json=search, headers=auth())
        assert response.status_code == 200, response.text
        if response.json()["items"]:
            break
        assert asyncio.get_running_loop().time() < deadline, "the offer never reached matching"
        await asyncio.sleep(0.05)
    [candidate] = response.json()["items"]
    assert candidate["legal_name"] == "PRISHTINA AGRITECH SH.P.K."
    assert candidate["country"] == "XK"

    # funding: a known beneficiary, money recorded for it, and Kosovo's region report.
    beneficiary = await eventually_ok(funding, f"/v1/beneficiaries/{actor_id}")
    assert beneficiary["country"] == "XK"
    item = {
        "external_id": "AGRIVALUE-XK-1",
        "kind": "commitment",
        "beneficiary_id": actor_id,
        "source": "h2020",
        "instrument_id": "874567",
        "amount": "150000.00",
        "date": "2024-05-01",
        "region_nuts": "DE212",
    }
    recorded = await funding.post(
        "/v1/authority-events:batch", json={"items": [item]}, headers=auth("admin")
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["items"][0]["status"] == "applied", recorded.text
    report = await funding.get(f"/v1/beneficiaries/{actor_id}", headers=auth())
    assert report.json()["funding"]["total"]["committed"] == "150000.00"
    # Money located in Kosovo itself: its Statistical Region is a NUTS 2024 code.
    in_kosovo = {**item, "external_id": "AGRIVALUE-XK-2", "region_nuts": "xk00"}
    located = await funding.post(
        "/v1/authority-events:batch", json={"items": [in_kosovo]}, headers=auth("admin")
    )
    assert located.json()["items"][0]["status"] == "applied", located.text
    region = await funding.get("/v1/regions/XK00/co-funding", headers=auth())
    assert region.status_code == 200, region.text
    assert (region.json()["nuts_code"], region.json()["entries"]) == ("XK00", 1)
