"""``synergia-funding-load-kohesio FILE --fund F --committed-on D``: load a Kohesio file.

``make load-kohesio FILE=… ARGS="…"`` runs this against the services ``make run``
started. The file is read and mapped here (:mod:`.parser`, :mod:`.mapping`), then its
beneficiaries are registered or matched by the registry (``$REGISTRY_URL``, default
http://127.0.0.1:8001) and their commitments recorded by funding (``$FUNDING_URL``,
default http://127.0.0.1:8003) (:mod:`.loader`), as the caller: an authority's API key
in ``$SYNERGIA_API_KEY`` (sent as ``X-API-Key``) or a bearer token in
``$SYNERGIA_TOKEN``. A summary is printed, with every refused line and why. Exits 0
when the services accepted the file, even if lines were refused (they are listed); 1
when the file is not a Kohesio export, or a service could not be reached or refused a
request; 2 for a usage error.

Kohesio says nothing of fund, date or programme: ``--fund`` and ``--committed-on`` are
required, and the programme and co-financing source are recorded only when given. The
summary repeats what was assumed. Load the same file again with the same options: the
ids are derived from them, so nothing is registered or recorded twice.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from synergia_shared.reference.nuts import DEFAULT_NUTS_VERSION, NUTS_VERSIONS

from synergia_funding.kohesio.loader import (
    AuthorityEventsOverHttp,
    BulkRegistrationOverHttp,
    KohesioLoadReport,
    PostJson,
    ServiceRefused,
    load_kohesio,
)
from synergia_funding.kohesio.mapping import map_kohesio
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import KohesioFormatError, parse_kohesio
from synergia_funding.ledger.entries import EsifFund, Source

DEFAULT_REGISTRY_URL = "http://127.0.0.1:8001"
DEFAULT_FUNDING_URL = "http://127.0.0.1:8003"
TIMEOUT_SECONDS = 600.0  # a batch of 5,000 registrations takes seconds, not minutes
SHOWN = 50


class UsageError(ValueError):
    pass


def credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's credentials as headers: an API key first, else a bearer token."""
    key = environ.get("SYNERGIA_API_KEY")
    if key:
        return {"X-API-Key": key}
    token = environ.get("SYNERGIA_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    raise UsageError(
        "no credentials: set SYNERGIA_API_KEY to the authority's API key, or SYNERGIA_TOKEN "
        "to a bearer token (for development: `make token ROLE=authority REGION=BG`)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="synergia-funding-load-kohesio",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Kohesio carries no fund, date or programme: each is stated here, for "
        "every line of the file, and the commitments' ids derive from them.",
    )
    parser.add_argument("file", type=Path, help="a Kohesio beneficiary export (tab-separated)")
    parser.add_argument(
        "--fund",
        required=True,
        choices=[fund.value for fund in EsifFund],
        help="the ESIF fund of every commitment (load one fund's export at a time)",
    )
    parser.add_argument(
        "--committed-on",
        required=True,
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the date of every commitment (the legal right to the aid)",
    )
    parser.add_argument(
        "--programme-cci",
        help="the operational programme's CCI, recorded as the commitments' instrument "
        "(when the file is one programme's); without it they name none",
    )
    parser.add_argument(
        "--cofinancing-source",
        choices=[Source.NATIONAL.value, Source.REGIONAL.value],
        help="commit Total Budget minus EU Contribution too, from this source; without it "
        "only the EU contribution is committed",
    )
    parser.add_argument(
        "--nuts-version",
        default=DEFAULT_NUTS_VERSION,
        choices=sorted(NUTS_VERSIONS),
        help="the NUTS version the Region names are resolved in (default %(default)s)",
    )
    parser.add_argument(
        "--region-level",
        type=int,
        choices=(0, 1, 2, 3),
        help="the NUTS level of the Region names, for names a level 2 and a level 3 region share",
    )
    parser.add_argument(
        "--registry-url", default=os.environ.get("REGISTRY_URL", DEFAULT_REGISTRY_URL)
    )
    parser.add_argument("--funding-url", default=os.environ.get("FUNDING_URL", DEFAULT_FUNDING_URL))
    parser.add_argument(
        "--all", action="store_true", help=f"list every refused line (the first {SHOWN} else)"
    )
    return parser.parse_args(argv)


def params_of(args: argparse.Namespace) -> KohesioImportParams:
    try:
        return KohesioImportParams(
            fund=EsifFund(args.fund),
            committed_on=args.committed_on,
            programme_cci=args.programme_cci,
            cofinancing_source=Source(args.cofinancing_source) if args.cofinancing_source else None,
            nuts_version=args.nuts_version,
            region_level=args.region_level,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def poster(client: httpx.AsyncClient) -> PostJson:
    async def post(path: str, body: Mapping[str, Any]) -> tuple[int, Any]:
        response = await client.post(path, json=body)
        try:
            answer = response.json()
        except ValueError:
            answer = response.text[:500]
        return response.status_code, answer

    return post


async def load(
    text: str,
    params: KohesioImportParams,
    *,
    registry_url: str,
    funding_url: str,
    headers: Mapping[str, str],
) -> KohesioLoadReport:
    plan = map_kohesio(parse_kohesio(text), params)
    timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=10.0)
    async with (
        httpx.AsyncClient(base_url=registry_url, headers=dict(headers), timeout=timeout) as reg,
        httpx.AsyncClient(base_url=funding_url, headers=dict(headers), timeout=timeout) as fun,
    ):
        return await load_kohesio(
            plan,
            params,
            BulkRegistrationOverHttp(poster(reg)),
            AuthorityEventsOverHttp(poster(fun)),
        )


def assumptions(params: KohesioImportParams) -> str:
    programme = (
        f"programme {params.programme_cci}"
        if params.programme_cci
        else "no programme (the commitments name no instrument)"
    )
    cofinancing = (
        f"co-financing committed as {params.cofinancing_source.value}"
        if params.cofinancing_source
        else "co-financing not committed (EU contribution only)"
    )
    level = f", level {params.region_level}" if params.region_level is not None else ""
    return (
        f"assumed for every line: fund {params.fund.value}, committed on "
        f"{params.committed_on.isoformat()}, {programme}, {cofinancing}; regions named in "
        f"NUTS {params.nuts_version}{level}"
    )


def summary(report: KohesioLoadReport, params: KohesioImportParams, *, show_all: bool) -> str:
    refused = report.refused
    lines = [
        f"lines: {len(report.lines):,} read, {len(report.lines) - len(refused):,} loaded, "
        f"{len(refused):,} refused",
        assumptions(params),
        f"beneficiaries: {len(report.registrations):,} — "
        f"{report.beneficiaries('registered'):,} registered, "
        f"{report.beneficiaries('matched'):,} matched, "
        f"{report.beneficiaries('possible_duplicate'):,} possible duplicates, "
        f"{report.beneficiaries('rejected'):,} refused",
        f"commitments: {len(report.commitments):,} — {report.recorded('applied'):,} recorded, "
        f"{report.recorded('parked'):,} parked (recorded when the beneficiary's registration "
        f"reaches funding), {report.replayed:,} replayed (sent before, nothing new), "
        f"{report.recorded('rejected'):,} refused",
    ]
    if refused:
        lines.append(f"refused lines ({len(refused):,}):")
        shown = refused if show_all else refused[:SHOWN]
        lines.extend(f"  line {r.line} ({r.beneficiary}): {r.problem}" for r in shown)
        if len(shown) < len(refused):
            lines.append(f"  … {len(refused) - len(shown):,} more (--all lists every one)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        params = params_of(args)
        headers = credentials(os.environ)
        text = args.file.read_text(encoding="utf-8-sig")
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(
            load(
                text,
                params,
                registry_url=args.registry_url,
                funding_url=args.funding_url,
                headers=headers,
            )
        )
    except KohesioFormatError as exc:
        print(f"{args.file} is not a Kohesio beneficiary export: {exc}", file=sys.stderr)
        return 1
    except ServiceRefused as exc:
        print(f"{exc}; what was sent before stays, load the file again once fixed", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(
            f"could not reach the registry at {args.registry_url} or funding at "
            f"{args.funding_url}: {exc!r} (is `make run` running?)",
            file=sys.stderr,
        )
        return 1
    print(summary(report, params, show_all=args.all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
