"""/docs and /redoc work without internet: every asset they load comes from the service.

Government and corporate networks often block CDNs, and our own machines have no
internet: a page that loads Swagger UI or ReDoc from elsewhere is blank there.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from synergia_shared.contracts.services import SERVICES, create_app

BASE = "http://service.test"
# What each kind of asset must be served as.
CONTENT_TYPES = {
    "script": ("text/javascript", "application/javascript"),
    "stylesheet": ("text/css",),
    "icon": ("image/png", "image/x-icon", "image/svg+xml"),
    "spec": ("application/json",),
}


class _Assets(HTMLParser):
    """The URLs a page loads: ``<script src>``, ``<link href>``, ReDoc's ``spec-url``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "script":
            if attributes.get("src"):
                self.found.append(("script", attributes["src"]))
            else:
                self._in_script = True
        elif tag == "link" and attributes.get("href"):
            rel = attributes.get("rel", "")
            self.found.append(("stylesheet" if "stylesheet" in rel else "icon", attributes["href"]))
        elif tag == "redoc" and attributes.get("spec-url"):
            self.found.append(("spec", attributes["spec-url"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)


def _bootstrapped(script: str) -> list[tuple[str, str]]:
    """The URLs Swagger UI's inline bootstrap hands it: the spec and the OAuth2 redirect."""
    found = [("spec", m) for m in re.findall(r"\burl:\s*'([^']*)'", script)]
    found += [("page", m) for m in re.findall(r"oauth2RedirectUrl:[^']*'([^']*)'", script)]
    return found


@pytest.fixture(scope="module", params=SERVICES)
def service_app(request: pytest.FixtureRequest) -> tuple[str, FastAPI]:
    return str(request.param), create_app(str(request.param))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_every_asset_from_the_service(
    service_app: tuple[str, FastAPI], page: str
) -> None:
    service, app = service_app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        response = await http.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        other_hosts = [
            url
            for url in re.findall(r"https?://[^\s\"'<>)]+", html)
            if urlsplit(url).netloc != urlsplit(BASE).netloc
        ]
        assert not other_hosts, f"{service} {page} names other hosts: {other_hosts}"

        parser = _Assets()
        parser.feed(html)
        assets = parser.found + [u for s in parser.inline_scripts for u in _bootstrapped(s)]
        kinds = {kind for kind, _ in assets}
        expected = {"script", "icon", "spec"} | ({"stylesheet"} if page == "/docs" else set())
        assert expected <= kinds, f"{page} loads {assets}"
        for kind, url in assets:
            absolute = urljoin(BASE + page, url)
            assert urlsplit(absolute).netloc == urlsplit(BASE).netloc, f"{url} is off-site"
            if kind == "page":
                continue  # the OAuth2 redirect page answers only to an OAuth2 flow
            asset = await http.get(absolute)
            assert asset.status_code == 200, f"{url}: {asset.status_code}"
            content_type = asset.headers["content-type"].split(";")[0].strip()
            assert content_type in CONTENT_TYPES[kind], f"{url} is served as {content_type}"
            assert asset.content, f"{url} is empty"
