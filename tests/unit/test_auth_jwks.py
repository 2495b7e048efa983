"""Production auth: RS256 tokens verified against the identity provider's JWKS over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from synergia_shared.http.auth import Authenticator, Role
from synergia_shared.http.problems import ProblemException
from synergia_shared.settings import ServiceSettings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_url() -> Iterator[str]:
    jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def rs256(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": "idp-user",
        "iss": "synergia",
        "aud": "synergia",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})


def authenticator(jwks_url: str) -> Authenticator:
    return Authenticator(
        ServiceSettings(
            database_url="postgresql+asyncpg://u@h/d",
            environment="production",
            auth_jwks_url=jwks_url,
        )
    )


async def test_rs256_token_signed_by_the_provider_is_accepted(jwks_url: str) -> None:
    principal = await authenticator(jwks_url).from_token(rs256(KEY, roles=["cluster_manager"]))
    assert principal.subject == "idp-user"
    assert principal.roles == {Role.CLUSTER_MANAGER}


async def test_token_signed_by_another_key_or_hs256_is_refused(jwks_url: str) -> None:
    auth = authenticator(jwks_url)
    with pytest.raises(ProblemException) as caught:
        await auth.from_token(rs256(OTHER_KEY, roles=["admin"]))
    assert caught.value.status == 401
    hs = jwt.encode(
        {"sub": "x", "roles": ["admin"], "iss": "synergia", "aud": "synergia"},
        "a-development-secret-of-32-bytes!",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(ProblemException):
        await auth.from_token(hs)
