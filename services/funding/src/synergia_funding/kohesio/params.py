"""What a Kohesio import assumes, stated by the caller for every import.

A Kohesio beneficiary file has no fund, no programme and no dates: each row sums a
beneficiary's projects in a region. Nothing of that is guessed, so the request says it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from synergia_shared.reference.nuts import DEFAULT_NUTS_VERSION, NUTS_VERSIONS

from synergia_funding.ledger.entries import EsifFund, Source
from synergia_funding.ledger.rules import EARLIEST_ENTRY_DATE

_CCI_TEXT = re.compile(r"[0-9A-Z]{1,100}")


@dataclass(frozen=True)
class KohesioImportParams:
    """The assumptions of one import, applied to every row of the file.

    - ``fund``: the ESIF fund of every commitment (Kohesio lists ERDF, CF, ESF and YEI
      beneficiaries together; load one fund's export at a time).
    - ``committed_on``: the commitments' date (the legal right to the aid); Kohesio
      carries none. From 2014-01-01, the ledger's earliest.
    - ``programme_cci``: the operational programme, when the file is one programme's;
      recorded as the commitments' instrument. Optional.
    - ``cofinancing_source``: when set (``national`` or ``regional``), the part of a row's
      total budget above its EU contribution is committed too, from that source;
      unset, only the EU contribution is recorded.
    - ``nuts_version`` and ``region_level``: how the Region column's names are resolved
      (:func:`synergia_shared.reference.nuts_names.resolve_region_name`); a level settles
      names that a NUTS 2 and a NUTS 3 region share.
    """

    fund: EsifFund
    committed_on: dt.date
    programme_cci: str | None = None
    cofinancing_source: Source | None = None
    nuts_version: str = DEFAULT_NUTS_VERSION
    region_level: int | None = None

    def __post_init__(self) -> None:
        if self.committed_on < EARLIEST_ENTRY_DATE:
            raise ValueError(
                f"committed_on {self.committed_on.isoformat()} is before "
                f"{EARLIEST_ENTRY_DATE.isoformat()}, the earliest date the ledger tracks"
            )
        if self.cofinancing_source not in (None, Source.NATIONAL, Source.REGIONAL):
            raise ValueError(
                "cofinancing_source is national or regional: the co-financing of an ESIF "
                f"operation is public money of the Member State, not {self.cofinancing_source}"
            )
        if self.nuts_version not in NUTS_VERSIONS:
            raise ValueError(f"unknown NUTS version {self.nuts_version!r}")
        if self.region_level is not None and self.region_level not in (0, 1, 2, 3):
            raise ValueError(f"NUTS level {self.region_level} does not exist: 0 to 3")
        if self.programme_cci is not None and not _CCI_TEXT.fullmatch(self.programme_cci):
            raise ValueError(f"programme_cci {self.programme_cci!r} is not a CCI code")
