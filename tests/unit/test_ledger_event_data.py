"""The ledger writes its events' data as plain JSON (codec.event_data) rather than
through the event models, for speed: what it writes must be what the models write."""

from __future__ import annotations

import json
from decimal import Decimal

from pydantic_core import to_json
from synergia_funding.ledger import codec
from synergia_funding.ledger.decide import flag_json
from synergia_funding.ledger.entries import EntryKind, PrivateTiming, Source
from synergia_funding.ledger.rules import Rule, Violation
from synergia_funding.ledger.service import _RECORDED
from synergia_shared.events.funding import RuleViolationFlaggedV1

from tests.support.ledger import C, D, K, make_entry, uid

FLAG = flag_json(
    Violation(Rule.SME_SHARE, "flag", "Value chain below 75 %", {"percent": "40.00", "ids": []})
)
ENTRIES = [
    make_entry(1, C, "20000.00", source=Source.ESIF, is_de_minimis=True, region_nuts="ITC4C"),
    make_entry(2, D, "5000.10", project=None, commitment_ref=uid(1), source=Source.ESIF),
    make_entry(3, C, "-300.00", adjusts=uid(1), source=Source.ESIF, is_de_minimis=True),
    make_entry(4, K, "12.34", source=Source.PRIVATE, private_timing=PrivateTiming.FOLLOW_UP),
    make_entry(
        5, C, "90000.00", is_de_minimis=True, aid_equivalent=Decimal("1234.56"), instrument_id="G"
    ),
    make_entry(6, C, "1000.00", reverses=uid(5), is_de_minimis=True, aid_equivalent=None),
]


def test_a_recorded_events_data_is_what_its_model_writes() -> None:
    for entry in ENTRIES:
        for flags in ([], [FLAG]):
            model = _RECORDED[entry.kind].model_validate({**codec.to_row(entry), "flags": flags})
            written = codec.event_data(entry, flags)
            assert to_json(written) == to_json(model.model_dump(mode="json"))
            assert json.loads(to_json(written)) == model.model_dump(mode="json")
    assert {e.kind for e in ENTRIES} == set(EntryKind)


def test_a_flagged_events_data_is_what_its_model_writes() -> None:
    for entry in ENTRIES:
        model = RuleViolationFlaggedV1.model_validate(
            {
                "entry_id": entry.entry_id,
                "beneficiary_id": entry.beneficiary_id,
                "project_id": entry.project_id,
                "flag": FLAG,
            }
        )
        assert to_json(codec.flagged_data(entry, FLAG)) == to_json(model.model_dump(mode="json"))
