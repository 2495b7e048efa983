"""Every request example of the OpenAPI documents, sent to the running service, succeeds.

A frontend team copies the example /docs shows; it must work as it is. Each example
(a body's, a parameter's) is taken from the document the app serves and sent with a
token of a role that may do it. What an example refers to is set up first: the ids it
names (a lead cluster, a participant, a member) are actors registered for it, and the
example's ids are those actors' (the only change made to an example).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from tests.integration.test_propagation import wait_for_200
from tests.support.actors import register
from tests.support.stack import auth

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COUNTRIES = ["DE", "FR", "IT", "ES", "PL", "AT", "BE", "NL", "SE", "PT"]

# Operations whose examples need another service's projection of the registry's events
# first: sent by the last test, once the events have arrived.
NOT_SENT = {
    "proposeTeams": "needs matching's projection of an open value chain",
    "getBeneficiary": "needs funding's projection of a registered actor",
    "getValueChainCoFunding": "needs funding's projection of a value chain",
    "suggestPartners": "needs matching's projection of an actor with needs",
}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def body_examples(doc: dict[str, Any], operation: dict[str, Any]) -> list[tuple[str, Any]]:
    """(media type, example) of the request body, as /docs shows them: the media type's
    own, else its schema's, else each variant's of a one-of."""
    found: list[tuple[str, Any]] = []
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        if "example" in media:
            found.append((media_type, media["example"]))
            continue
        schema = _resolve(doc, media.get("schema", {}))
        variants = [schema] if schema.get("examples") else schema.get("oneOf", [])
        for variant in variants:
            found += [(media_type, e) for e in _resolve(doc, variant).get("examples", ())]
    return found


def parameter_examples(operation: dict[str, Any]) -> dict[str, Any]:
    """The first example of every parameter that shows one, by name."""
    found = {}
    for parameter in operation.get("parameters", ()):
        examples = parameter.get("schema", {}).get("examples") or []
        if "example" in parameter:
            examples = [parameter["example"], *examples]
        if examples:
            found[parameter["name"]] = examples[0]
    return found


class Examples:
    """The examples of one service's document, by operationId."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.operations = {
            op["operationId"]: (method.upper(), path, op)
            for path, item in doc["paths"].items()
            for method, op in item.items()
            if isinstance(op, dict) and "operationId" in op
        }
        self.sent: set[str] = set()

    def with_examples(self) -> set[str]:
        return {
            op_id
            for op_id, (_, _, op) in self.operations.items()
            if body_examples(self.doc, op) or parameter_examples(op)
        }

    def bodies(self, operation_id: str) -> list[tuple[str, Any]]:
        self.sent.add(operation_id)
        return body_examples(self.doc, self.operations[operation_id][2])

    def params(self, operation_id: str) -> dict[str, Any]:
        self.sent.add(operation_id)
        return parameter_examples(self.operations[operation_id][2])

    def success(self, operation_id: str) -> set[int]:
        responses = self.operations[operation_id][2]["responses"]
        return {int(s) for s in responses if s.startswith("2")}


def uuids_in(value: Any) -> Iterator[str]:
    if isinstance(value, str) and UUID.fullmatch(value):
        yield value
    elif isinstance(value, dict):
        for child in value.values():
            yield from uuids_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from uuids_in(child)


def substituted(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: substituted(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substituted(v, ids) for v in value]
    return value


async def _send(
    client: httpx.AsyncClient,
    examples: Examples,
    operation_id: str,
    media_type: str,
    body: Any,
    headers: dict[str, str],
    params: dict[str, Any] | None = None,
    **path: str,
) -> httpx.Response:
    method, template, _ = examples.operations[operation_id]
    url = template.format(**path)
    if media_type == "application/json":
        response = await client.request(method, url, json=body, headers=headers, params=params)
    else:
        response = await client.request(
            method,
            url,
            content=body,
            headers={**headers, "Content-Type": media_type},
            params=params,
        )
    assert response.status_code in examples.success(operation_id), (
        f"{operation_id}'s example answers {response.status_code}: {response.text[:500]}"
    )
    return response


async def _actors_for(
    registry: httpx.AsyncClient,
    example: Any,
    leads: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, str]:
    """An actor for every id the example names: cluster organisations for the leads, SMEs
    in distinct Member States for the others (a consortium that can be eligible)."""
    ids: dict[str, str] = {}
    for i, named in enumerate(dict.fromkeys(uuids_in(example))):
        kind = "cluster_organisation" if named in leads else "sme"
        ids[named] = await register(
            registry, f"Example actor {i} {uuid.uuid4().hex[:6]}", COUNTRIES[i], kind=kind
        )
    return ids


async def test_every_registry_request_example_works(registry: httpx.AsyncClient) -> None:
    examples = Examples((await registry.get("/openapi.json")).json())
    admin = auth()

    actor_ids = []
    for media_type, body in examples.bodies("registerActor"):
        created = await _send(registry, examples, "registerActor", media_type, body, admin)
        actor_ids.append(created.json()["id"])
    for media_type, body in examples.bodies("registerActors"):
        await _send(registry, examples, "registerActors", media_type, body, admin)
    for media_type, body in examples.bodies("updateActor"):
        etag = (await registry.get(f"/v1/actors/{actor_ids[0]}", headers=admin)).headers["etag"]
        await _send(
            registry,
            examples,
            "updateActor",
            media_type,
            body,
            {**admin, "If-Match": etag},
            actor_id=actor_ids[0],
        )

    cluster = await register(registry, "Example Cluster", "EL", kind="cluster_organisation")
    for media_type, body in examples.bodies("updateClusterProfile"):
        etag = (await registry.get(f"/v1/clusters/{cluster}", headers=admin)).headers["etag"]
        await _send(
            registry,
            examples,
            "updateClusterProfile",
            media_type,
            body,
            {**admin, "If-Match": etag},
            cluster_id=cluster,
        )
    for media_type, body in examples.bodies("addClusterMember"):
        ids = await _actors_for(registry, body)
        await _send(
            registry,
            examples,
            "addClusterMember",
            media_type,
            substituted(body, ids),
            admin,
            cluster_id=cluster,
        )
    for media_type, body in examples.bodies("addClusterMembers"):
        ids = await _actors_for(registry, body)
        await _send(
            registry,
            examples,
            "addClusterMembers",
            media_type,
            substituted(body, ids),
            admin,
            cluster_id=cluster,
        )
    for media_type, body in examples.bodies("recordClusterMemberLeaving"):
        member = await register(registry, f"Leaving SME {uuid.uuid4().hex[:6]}", "EL")
        joined = await registry.post(
            f"/v1/clusters/{cluster}/members",
            json={"actor_id": member, "joined_on": "2026-01-15"},
            headers=admin,
        )
        assert joined.status_code == 201, joined.text
        await _send(
            registry,
            examples,
            "recordClusterMemberLeaving",
            media_type,
            body,
            admin,
            cluster_id=cluster,
            actor_id=member,
        )

    chains = []
    for media_type, body in examples.bodies("createValueChain"):
        ids = await _actors_for(registry, body, set(body.get("lead_actor_ids", ())))
        created = await _send(
            registry, examples, "createValueChain", media_type, substituted(body, ids), admin
        )
        chains.append((created.json()["id"], created.headers["etag"], ids))
    chain_id, etag, ids = chains[0]
    for media_type, body in examples.bodies("replaceValueChain"):
        replaced = await _send(
            registry,
            examples,
            "replaceValueChain",
            media_type,
            substituted(body, ids),
            {**admin, "If-Match": etag},
            value_chain_id=chain_id,
        )
        etag = replaced.headers["etag"]
    for media_type, body in examples.bodies("changeValueChainStatus"):
        await _send(
            registry,
            examples,
            "changeValueChainStatus",
            media_type,
            body,
            {**admin, "If-Match": etag},
            value_chain_id=chain_id,
        )

    for media_type, body in examples.bodies("importCordisOrganisations"):
        await _send(registry, examples, "importCordisOrganisations", media_type, body, admin)

    params = examples.params("resolveRegionName")
    resolved = await registry.get("/v1/nuts-regions:resolve", params=params, headers=admin)
    assert resolved.status_code == 200, resolved.text

    params = examples.params("searchActors")
    found = await registry.get("/v1/actors", params=params, headers=admin)
    assert found.status_code == 200, found.text
    facets = found.json()["facets"]
    assert all(facets[name] is not None for name in params["facets"]), facets
    params = examples.params("listNutsRegions")
    regions = await registry.get("/v1/code-lists/nuts-regions", params=params)
    assert regions.status_code == 200, regions.text
    assert {r["code"][:2] for r in regions.json()["items"]} == {params["country"]}

    assert examples.with_examples() <= examples.sent, examples.with_examples() - examples.sent


async def test_every_matching_request_example_works(matching: httpx.AsyncClient) -> None:
    examples = Examples((await matching.get("/openapi.json")).json())
    admin = auth()
    for media_type, body in examples.bodies("searchPartners"):
        params = examples.params("searchPartners")
        answered = await _send(
            matching, examples, "searchPartners", media_type, body, admin, params=params
        )
        facets = answered.json()["facets"]
        assert all(facets[name] is not None for name in params["facets"]), facets

    nuts = examples.params("getS3Priorities")["nuts"]
    read = await matching.get(f"/v1/regions/{nuts}/s3-priorities", headers=admin)
    assert read.status_code == 200, read.text
    nuts = examples.params("setS3Priorities")["nuts"]
    for media_type, body in examples.bodies("setS3Priorities"):
        etag = (await matching.get(f"/v1/regions/{nuts}/s3-priorities", headers=admin)).headers[
            "etag"
        ]
        await _send(
            matching,
            examples,
            "setS3Priorities",
            media_type,
            body,
            {**admin, "If-Match": etag},
            nuts=nuts,
        )

    unsent = examples.with_examples() - examples.sent
    assert unsent <= set(NOT_SENT), unsent


async def test_every_funding_request_example_works(funding: httpx.AsyncClient) -> None:
    examples = Examples((await funding.get("/openapi.json")).json())
    admin = auth()

    created = []
    for media_type, body in examples.bodies("createFundingSource"):
        response = await _send(funding, examples, "createFundingSource", media_type, body, admin)
        created.append((response.json()["id"], response.headers["etag"], body))
    for media_type, body in examples.bodies("replaceFundingSource"):
        source_id, etag, _ = next(c for c in created if c[2]["kind"] == body["kind"])
        await _send(
            funding,
            examples,
            "replaceFundingSource",
            media_type,
            body,
            {**admin, "If-Match": etag},
            source_id=source_id,
        )

    listed = await funding.get(
        "/v1/funding-sources", params=examples.params("listFundingSources"), headers=admin
    )
    assert listed.status_code == 200, listed.text

    for media_type, body in examples.bodies("importEsifProgrammes"):
        await _send(funding, examples, "importEsifProgrammes", media_type, body, admin)

    totals = examples.params("getEsifPlannedTotals")
    accept = {"Accept": totals.pop("accept")}
    answered = await funding.get(
        "/v1/funding-sources/esif-programmes/totals", params=totals, headers={**admin, **accept}
    )
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith(accept["Accept"])

    region = examples.params("getRegionCoFunding")
    accept = {"Accept": region.pop("accept")}
    report = await funding.get(
        f"/v1/regions/{region['nuts']}/co-funding", headers={**admin, **accept}
    )
    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith(accept["Accept"])

    unsent = examples.with_examples() - examples.sent
    assert unsent <= set(NOT_SENT), unsent


async def test_examples_that_need_a_projection_work_once_it_is_there(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    """The examples NOT_SENT above, sent once the registry's events reached matching and
    funding: an actor with needs, and a value chain with its stages."""
    admin = auth()
    registry_doc = Examples((await registry.get("/openapi.json")).json())
    matching_doc = Examples((await matching.get("/openapi.json")).json())
    funding_doc = Examples((await funding.get("/openapi.json")).json())

    with_needs = next(b for _, b in registry_doc.bodies("registerActor") if b.get("needs"))
    created = await registry.post("/v1/actors", json=with_needs, headers=admin)
    assert created.status_code == 201, created.text
    actor_id = created.json()["id"]

    _, chain_body = registry_doc.bodies("createValueChain")[0]
    ids = await _actors_for(registry, chain_body, set(chain_body.get("lead_actor_ids", ())))
    chain = await registry.post(
        "/v1/value-chains", json=substituted(chain_body, ids), headers=admin
    )
    assert chain.status_code == 201, chain.text
    chain_id = chain.json()["id"]
    stage_ids = [stage["id"] for stage in chain.json()["stages"]]

    for client, path in (
        (matching, f"/v1/profiles/{actor_id}"),
        (funding, f"/v1/beneficiaries/{actor_id}"),
        (funding, f"/v1/value-chains/{chain_id}/co-funding"),
    ):
        assert (await wait_for_200(client, path)).status_code == 200, path

    params = matching_doc.params("suggestPartners")
    await _send(
        matching,
        matching_doc,
        "suggestPartners",
        "application/json",
        None,
        admin,
        params=params,
        actor_id=actor_id,
    )

    for _, body in matching_doc.bodies("proposeTeams"):
        named_stages = [budget["stage_id"] for budget in body.get("stage_budgets", ())]
        stages = dict(zip(named_stages, stage_ids, strict=False))
        deadline = asyncio.get_running_loop().time() + 20
        while True:  # the chain reaches matching on its own topic
            method, template, _ = matching_doc.operations["proposeTeams"]
            answer = await matching.request(
                method,
                template.format(value_chain_id=chain_id),
                json=substituted(body, stages),
                headers=admin,
            )
            if answer.status_code != 404 or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
        matching_doc.sent.add("proposeTeams")
        assert answer.status_code in matching_doc.success("proposeTeams"), answer.text

    for operation_id, path in (
        ("getBeneficiary", f"/v1/beneficiaries/{actor_id}"),
        ("getValueChainCoFunding", f"/v1/value-chains/{chain_id}/co-funding"),
    ):
        params = funding_doc.params(operation_id)
        accept = params.pop("accept", None)
        headers = {**admin, "Accept": accept} if accept else admin
        answer = await funding.get(path, params=params, headers=headers)
        assert answer.status_code == 200, f"{operation_id}: {answer.text[:500]}"
        if accept:
            assert answer.headers["content-type"].startswith(accept), operation_id

    assert set(NOT_SENT) <= matching_doc.sent | funding_doc.sent
