"""Verified bearer tokens are remembered until their exp, never longer than the TTL."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from synergia_shared.http import auth
from synergia_shared.http.auth import Authenticator, Principal, Role, VerifiedTokens, issue_token
from synergia_shared.http.problems import ProblemException
from synergia_shared.settings import DEV_JWT_SECRET, ServiceSettings

DB = "postgresql+asyncpg://u@localhost/x"


def settings(**kwargs: object) -> ServiceSettings:
    return ServiceSettings(database_url=DB, **kwargs)  # type: ignore[arg-type]


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def principal(subject: str = "u", exp: object = None) -> Principal:
    claims: dict[str, Any] = {"sub": subject}
    if exp is not None:
        claims["exp"] = exp
    return Principal(subject=subject, roles=frozenset({Role.ADMIN}), claims=claims)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature was actually verified."""
    calls: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counting)
    return calls


def test_a_hit_is_served_until_exp_and_not_at_exp() -> None:
    clock = Clock(1_000.0)
    cache = VerifiedTokens(10, ttl=300.0, clock=clock)
    cache.put("t", principal(exp=1_010))
    clock.now = 1_009.999
    assert cache.get("t") is not None
    clock.now = 1_010.0  # PyJWT: valid while exp > now
    assert cache.get("t") is None
    assert len(cache) == 0


def test_the_ttl_bounds_a_token_with_a_distant_or_no_exp() -> None:
    clock = Clock(1_000.0)
    cache = VerifiedTokens(10, ttl=60.0, clock=clock)
    cache.put("far", principal(exp=10_000_000))
    cache.put("none", principal())
    clock.now = 1_059.0
    assert cache.get("far") is not None
    assert cache.get("none") is not None
    clock.now = 1_060.0
    assert cache.get("far") is None
    assert cache.get("none") is None


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = VerifiedTokens(2, ttl=60.0, clock=Clock())
    cache.put("a", principal("a"))
    cache.put("b", principal("b"))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", principal("c"))
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.get("c") is not None


def test_size_zero_turns_the_cache_off() -> None:
    cache = VerifiedTokens(0, ttl=60.0, clock=Clock())
    cache.put("a", principal())
    assert cache.get("a") is None


async def test_a_token_is_verified_once_then_served_from_the_cache(decodes: list[str]) -> None:
    authenticator = Authenticator(settings())
    token = issue_token(DEV_JWT_SECRET, subject="u1", roles=["authority"], region="ITH3")
    first = await authenticator.from_token(token)
    second = await authenticator.from_token(token)
    assert decodes == [token]
    assert first == second
    assert second.subject == "u1"
    assert second.roles == {Role.AUTHORITY}
    assert second.region == "ITH3"


async def test_each_request_gets_its_own_claims(decodes: list[str]) -> None:
    authenticator = Authenticator(settings())
    token = issue_token(DEV_JWT_SECRET, subject="u1", roles=["admin"])
    (await authenticator.from_token(token)).claims["sub"] = "someone else"
    assert (await authenticator.from_token(token)).claims["sub"] == "u1"


async def test_invalid_tokens_are_not_remembered(decodes: list[str]) -> None:
    authenticator = Authenticator(settings())
    token = issue_token("another-secret-of-enough-length-32b", subject="u", roles=["admin"])
    for _ in range(2):
        with pytest.raises(ProblemException) as caught:
            await authenticator.from_token(token)
        assert caught.value.status == 401
    assert decodes == [token, token]
    assert len(authenticator.verified) == 0


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    authenticator = Authenticator(settings())
    token = issue_token(DEV_JWT_SECRET, subject="u", roles=["admin"], ttl=timedelta(seconds=1))
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    await authenticator.from_token(token)
    await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
    with pytest.raises(ProblemException) as caught:
        await authenticator.from_token(token)
    assert caught.value.status == 401


async def test_the_cache_can_be_turned_off(decodes: list[str]) -> None:
    authenticator = Authenticator(settings(auth_token_cache_size=0))
    token = issue_token(DEV_JWT_SECRET, subject="u", roles=["admin"])
    await authenticator.from_token(token)
    await authenticator.from_token(token)
    assert decodes == [token, token]
