"""Authentication and role checks: bearer JWTs for people, API keys for machines.

Development signs HS256 tokens with a local secret; production verifies RS256 tokens
against the identity provider's JWKS. Regional authority systems use API keys bound to
their NUTS region. Every route but health, metrics and docs depends on one of these.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from synergia_shared.http.problems import ProblemException
from synergia_shared.settings import ServiceSettings


class Role(StrEnum):
    ADMIN = "admin"
    CLUSTER_MANAGER = "cluster_manager"
    SME = "sme"
    AUTHORITY = "authority"
    INVESTOR = "investor"
    VIEWER = "viewer"


ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    region: str | None = None
    actor_id: str | None = None
    via_api_key: bool = False
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


class Authenticator:
    """Turns a bearer token or an API key into a :class:`Principal`."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._secret = (
            settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else None
        )
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None
        self._api_keys = {entry["sha256"].lower(): entry for entry in settings.parsed_api_keys()}

    async def from_token(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                signing_key = await run_in_threadpool(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    signing_key.key,
                    algorithms=["RS256"],
                    audience=self._settings.auth_audience,
                    issuer=self._settings.auth_issuer,
                )
            else:
                assert self._secret is not None
                claims = jwt.decode(
                    token,
                    self._secret,
                    algorithms=["HS256"],
                    audience=self._settings.auth_audience,
                    issuer=self._settings.auth_issuer,
                )
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid bearer token: {exc}") from exc
        roles = _parse_roles(claims.get("roles"))
        region = claims.get("region")
        if Role.AUTHORITY in roles and not region:
            raise _unauthorized("an authority token must carry its NUTS region")
        return Principal(
            subject=str(claims.get("sub", "")),
            roles=roles,
            region=region,
            actor_id=claims.get("actor_id"),
            claims=claims,
        )

    def from_api_key(self, key: str) -> Principal:
        digest = hashlib.sha256(key.encode()).hexdigest()
        for known, entry in self._api_keys.items():
            if hmac.compare_digest(known, digest):
                return Principal(
                    subject=f"api-key:{entry['name']}",
                    roles=_parse_roles(entry.get("roles", [Role.AUTHORITY.value])),
                    region=entry.get("region"),
                    via_api_key=True,
                )
        raise _unauthorized("unknown API key")


def _parse_roles(raw: object) -> frozenset[Role]:
    if not isinstance(raw, list):
        return frozenset()
    return frozenset(Role(r) for r in raw if r in ALL_ROLES)


def _unauthorized(detail: str) -> ProblemException:
    return ProblemException(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"}
    )


_bearer = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    auto_error=False,
    description="A JWT from the identity provider.",
)
_api_key = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKeyAuth",
    auto_error=False,
    description="Machine clients of regional authorities (bound to their NUTS region).",
)


async def authenticate(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    if bearer is not None:
        return await authenticator.from_token(bearer.credentials)
    if api_key:
        return authenticator.from_api_key(api_key)
    raise _unauthorized("send a bearer token (Authorization: Bearer …) or an X-API-Key")


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through only principals holding one of ``roles``."""
    allowed = frozenset(roles)

    async def dependency(
        principal: Annotated[Principal, Depends(authenticate)],
    ) -> Principal:
        if not principal.has_any(allowed):
            raise ProblemException(
                403,
                "forbidden",
                "Forbidden",
                f"this needs one of the roles {sorted(allowed)}; "
                f"the caller has {sorted(principal.roles) or 'none'}",
            )
        return principal

    return dependency


def issue_token(
    secret: str,
    *,
    subject: str,
    roles: list[str],
    region: str | None = None,
    actor_id: str | None = None,
    issuer: str = "synergia",
    audience: str = "synergia",
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """Sign a development token (HS256). Production tokens come from the identity provider."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
    }
    if region:
        claims["region"] = region
    if actor_id:
        claims["actor_id"] = actor_id
    return jwt.encode(claims, secret, algorithm="HS256")
