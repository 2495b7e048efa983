"""``synergia-registry-import-cordis FILE``: send a CORDIS organization.csv to the registry.

``make import-cordis FILE=…`` runs this against the registry that ``make run`` started.
The file is streamed as the request body (never read into memory) to
``$REGISTRY_URL/v1/imports/cordis`` (default http://127.0.0.1:8001), with the token in
``$SYNERGIA_TOKEN`` or, without one, a development admin token signed with the secret
``make token`` uses (``AUTH_JWT_SECRET`` or the development default). The report is
printed; ``--json`` prints it whole. Exits 0 when the registry accepted the file, even if
rows were rejected (they are listed), and 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from synergia_shared.http.auth import issue_token
from synergia_shared.settings import DEV_JWT_SECRET

DEFAULT_URL = "http://127.0.0.1:8001"
PATH = "/v1/imports/cordis"
TIMEOUT_SECONDS = 3600.0
SHOWN = 20


def bearer_token() -> str:
    token = os.environ.get("SYNERGIA_TOKEN")
    if token:
        return token
    secret = os.environ.get("AUTH_JWT_SECRET") or DEV_JWT_SECRET
    return issue_token(secret, subject="dev-import-cordis", roles=["admin"])


def post_file(url: str, path: Path, token: str) -> tuple[int, bytes]:
    """POST the file as the streamed body; the status and the answer."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"REGISTRY_URL must be an http(s) URL, got {url!r}")
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    try:
        with path.open("rb") as body:
            connection.request(
                "POST",
                parts.path.rstrip("/") + PATH,
                body=body,  # sent in blocks as it is read
                headers={
                    "Content-Type": "text/csv",
                    "Content-Length": str(path.stat().st_size),
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                },
            )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def summary(report: dict[str, Any]) -> str:
    lines = [
        f"rows: {report['rows_read']} read, {report['rows_accepted']} accepted, "
        f"{report['rows_rejected']} rejected",
        f"organisations: {report['organisations']} — {report['created']} created, "
        f"{report['updated']} updated, {report['unchanged']} unchanged, "
        f"{report['organisations_rejected']} rejected",
    ]
    for title, key, total, fmt in (
        (
            "rejections",
            "rejections",
            "rejections_total",
            "line {line} ({organisation_id}): {reason}",
        ),
        ("warnings", "warnings", "warnings_total", "line {line} ({organisation_id}): {message}"),
    ):
        if report[total]:
            lines.append(f"{title} ({report[total]}):")
            lines.extend(f"  {fmt.format(**item)}" for item in report[key][:SHOWN])
            if report[total] > SHOWN:
                lines.append(
                    f"  … {report[total] - SHOWN} more (--json lists up to "
                    f"{report['listing_limit']})"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="synergia-registry-import-cordis", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("file", type=Path, help="a CORDIS H2020 organization.csv")
    parser.add_argument("--url", default=os.environ.get("REGISTRY_URL", DEFAULT_URL))
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        status, body = post_file(args.url, args.file, bearer_token())
    except (OSError, ValueError, http.client.HTTPException) as exc:
        print(
            f"could not reach the registry at {args.url}: {exc} (is `make run` running?)",
            file=sys.stderr,
        )
        return 1
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if status != 200 or not isinstance(answer, dict):
        detail = (
            answer.get("detail")
            if isinstance(answer, dict)
            else body[:500].decode("utf-8", "replace")
        )
        print(f"the registry refused the import ({status}): {detail}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2, ensure_ascii=False) if args.json else summary(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
