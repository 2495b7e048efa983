from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import jwt
import pytest
from synergia_shared.http.auth import Authenticator, Role, issue_token
from synergia_shared.http.problems import ProblemException
from synergia_shared.settings import DEV_JWT_SECRET, ServiceSettings

DB = "postgresql+asyncpg://u@localhost/x"


def settings(**kwargs: object) -> ServiceSettings:
    return ServiceSettings(database_url=DB, **kwargs)  # type: ignore[arg-type]


async def test_a_dev_token_becomes_a_principal_with_its_roles_and_region() -> None:
    token = issue_token(DEV_JWT_SECRET, subject="u1", roles=["authority"], region="ITH3")
    principal = await Authenticator(settings()).from_token(token)
    assert principal.subject == "u1"
    assert principal.roles == {Role.AUTHORITY}
    assert principal.region == "ITH3"


@pytest.mark.parametrize(
    "token",
    [
        issue_token("another-secret-of-enough-length-32b", subject="u", roles=["admin"]),
        issue_token(DEV_JWT_SECRET, subject="u", roles=["admin"], ttl=timedelta(seconds=-5)),
        issue_token(DEV_JWT_SECRET, subject="u", roles=["admin"], audience="someone-else"),
        jwt.encode({"sub": "u", "roles": ["admin"]}, DEV_JWT_SECRET, algorithm="HS256"),
        "garbage",
    ],
    ids=["wrong-secret", "expired", "wrong-audience", "no-iss-aud", "garbage"],
)
async def test_bad_tokens_are_401(token: str) -> None:
    with pytest.raises(ProblemException) as caught:
        await Authenticator(settings()).from_token(token)
    assert caught.value.status == 401


async def test_an_authority_token_without_region_is_refused() -> None:
    token = issue_token(DEV_JWT_SECRET, subject="u", roles=["authority"])
    with pytest.raises(ProblemException) as caught:
        await Authenticator(settings()).from_token(token)
    assert "region" in (caught.value.detail or "")


def test_api_keys_are_matched_by_digest_and_bound_to_their_region() -> None:
    key = "k-123-secret"
    entry = {
        "name": "lombardia",
        "sha256": hashlib.sha256(key.encode()).hexdigest(),
        "roles": ["authority"],
        "region": "ITC4",
    }
    authenticator = Authenticator(settings(api_keys=json.dumps([entry])))
    principal = authenticator.from_api_key(key)
    assert principal.region == "ITC4"
    assert principal.via_api_key
    with pytest.raises(ProblemException):
        authenticator.from_api_key("k-123-secreT")


def test_production_without_a_key_source_does_not_start() -> None:
    with pytest.raises(ValueError, match="AUTH_JWKS_URL"):
        settings(environment="production")


def _key(**entry: object) -> str:
    base: dict[str, object] = {"name": "k", "sha256": hashlib.sha256(b"s").hexdigest()}
    return json.dumps([{**base, **entry}])


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"region": "F"}, "`region` must be a NUTS code"),
        ({"region": 12}, "`region` must be a NUTS code"),
        ({"roles": ["superuser"]}, "`roles` must list role names"),
        ({"roles": "authority"}, "`roles` must list role names"),
        ({"sha256": "abc"}, "`sha256` must be 64 hexadecimal digits"),
        ({"name": ""}, "a key without a `name`"),
    ],
    ids=["region-F", "region-number", "unknown-role", "roles-string", "short-digest", "no-name"],
)
def test_a_malformed_api_key_stops_the_service_naming_it(
    entry: dict[str, object], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        Authenticator(settings(api_keys=_key(**entry)))


def test_a_well_formed_api_key_with_a_region_is_taken() -> None:
    authenticator = Authenticator(settings(api_keys=_key(region="ith3", roles=["authority"])))
    principal = authenticator.from_api_key("s")
    assert principal.roles == {Role.AUTHORITY}
    assert principal.region == "ITH3"  # as a token's region claim
