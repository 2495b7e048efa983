"""Each named ledger rule on its own: an entry's own checks, each rule family over a
resolved ledger, and an authority's admission checks. The combined behaviour is in
test_ledger_rules.py; here each rule is shown to find its case and to pass the other."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from synergia_funding.authority.intake import (
    Authority,
    other_value_chain,
    outside_region,
    source_not_recorded,
)
from synergia_funding.authority.schemas import AuthorityEventIn
from synergia_funding.ledger import entries
from synergia_funding.ledger.balances import resolve
from synergia_funding.ledger.entries import Entry, EsifFund, PrivateTiming, Source
from synergia_funding.ledger.rules import FstpCaps, Rule, RuleContext
from synergia_funding.ledger.rules.consistency import consistency_problems
from synergia_funding.ledger.rules.de_minimis import de_minimis_breaches
from synergia_funding.ledger.rules.disbursements import disbursed_breaches
from synergia_funding.ledger.rules.double_funding import double_funding_breaches
from synergia_funding.ledger.rules.fstp import fstp_cap_breaches
from synergia_funding.ledger.rules.sme_share import sme_share_breaches

from tests.support.ledger import PROJECT, C, D, K, make_correction, make_entry, uid

# --- An entry's own checks ------------------------------------------------------------------


def unchecked(entry: Entry, **changes: Any) -> Entry:
    """``entry`` with ``changes`` that its own checks would refuse (set past them, so
    each check can be shown the case it is for)."""
    broken = copy.copy(entry)
    for name, value in changes.items():
        object.__setattr__(broken, name, value)
    return broken


VALID = make_entry(1)
ADJUSTMENT = make_correction(2, VALID, "10.00", adjusts=VALID.entry_id)
REVERSAL = make_correction(3, VALID, "1000.00", reverses=VALID.entry_id)

EntryCheck = Callable[[Entry], str | None]


@pytest.mark.parametrize(
    ("check", "broken", "valid", "fragment"),
    [
        (
            entries.aid_equivalent_in_cents,
            {"is_de_minimis": True, "aid_equivalent": Decimal("1.001")},
            {"is_de_minimis": True, "aid_equivalent": Decimal("1.00")},
            "at most 2 decimals",
        ),
        (
            entries.one_correction,
            {"reverses": uid(8), "adjusts": uid(9)},
            {"adjusts": uid(9)},
            "not both",
        ),
        (entries.not_self_correcting, {"adjusts": uid(1)}, {"adjusts": uid(9)}, "itself"),
        (entries.amount_sign, {"amount": Decimal("0.00")}, {}, "must be positive"),
        (
            entries.amount_sign,
            {"adjusts": uid(9), "amount": Decimal("0.00")},
            {"adjusts": uid(9), "amount": Decimal("-5.00")},
            "must change the amount",
        ),
        (
            entries.amount_sign,
            {"reverses": uid(9), "amount": Decimal("0.00")},
            {"reverses": uid(9), "amount": Decimal("-5.00")},
            "never 0",
        ),
        (
            entries.amount_sign,
            {"is_de_minimis": True, "aid_equivalent": Decimal("-1.00")},
            {"is_de_minimis": True, "aid_equivalent": Decimal("0.00")},
            "must not be negative",
        ),
        (
            entries.fund_for_esif,
            {"source": Source.ESIF},
            {"source": Source.ESIF, "fund": EsifFund.ESF},
            "names its fund",
        ),
        (entries.fund_for_esif, {"fund": EsifFund.ERDF}, {}, "only ESIF entries"),
        (
            entries.timing_for_private,
            {"source": Source.PRIVATE},
            {"source": Source.PRIVATE, "private_timing": PrivateTiming.FOLLOW_UP},
            "upfront or follow-up",
        ),
        (
            entries.timing_for_private,
            {"private_timing": PrivateTiming.UPFRONT},
            {},
            "only private money",
        ),
        (
            entries.commitment_ref_on_disbursement,
            {"commitment_ref": uid(9)},
            {"kind": D, "commitment_ref": uid(9)},
            "only a disbursement",
        ),
        (
            entries.fstp_in_project,
            {"source": Source.FSTP, "project_id": None},
            {"source": Source.FSTP},
            "project_id is required",
        ),
        (
            entries.cost_item_named,
            {"kind": K},
            {"kind": K, "cost_item_ref": "item-1"},
            "cost_item_ref",
        ),
        (
            entries.de_minimis_by_commitment,
            {"kind": D, "is_de_minimis": True},
            {"is_de_minimis": True},
            "granted by a commitment",
        ),
        (
            entries.aid_equivalent_for_de_minimis,
            {"aid_equivalent": Decimal("5.00")},
            {"aid_equivalent": Decimal("5.00"), "is_de_minimis": True},
            "only matters for de minimis",
        ),
        (entries.member_state_code, {"member_state": "DEU"}, {"member_state": "de"}, "2-letter"),
        (entries.external_ref_given, {"external_id": ""}, {}, "are required"),
    ],
)
def test_each_entry_check_finds_its_case_only(
    check: EntryCheck, broken: dict[str, Any], valid: dict[str, Any], fragment: str
) -> None:
    problem = check(unchecked(VALID, **broken))
    assert problem is not None
    assert fragment in problem
    assert check(unchecked(VALID, **valid)) is None


def test_entry_problems_lists_every_check_that_fails_in_order() -> None:
    broken = unchecked(VALID, kind=K, member_state="X")
    assert entries.entry_problems(broken) == [
        "a cost item needs its cost_item_ref",
        "member state 'X' must be a 2-letter code",
    ]
    assert entries.entry_problems(VALID) == []


# --- Rule families over a resolved ledger -----------------------------------------------------

CTX = RuleContext()


def fstp(n: int, amount: str, party: int = 7) -> Entry:
    return make_entry(n, C, amount, beneficiary=party, source=Source.FSTP)


def test_fstp_cap_per_third_party() -> None:
    at_cap = resolve([fstp(1, "30000.00"), fstp(2, "30000.00")])
    assert fstp_cap_breaches(at_cap, CTX, None) == []
    over = resolve([fstp(1, "30000.00"), fstp(2, "30000.01")])
    (breach,) = fstp_cap_breaches(over, CTX, None)
    assert breach.violation.rule is Rule.FSTP_CAP
    assert breach.excess == Decimal("0.01")


def test_fstp_cap_per_project() -> None:
    ctx = RuleContext(fstp_caps={uid(PROJECT): FstpCaps(per_project=Decimal("50000.00"))})
    two_parties = resolve([fstp(1, "25000.00", party=7), fstp(2, "25000.00", party=8)])
    assert fstp_cap_breaches(two_parties, ctx, None) == []
    three = resolve([*two_parties.entries.values(), fstp(3, "1.00", party=9)])
    (breach,) = fstp_cap_breaches(three, ctx, None)
    assert breach.key == ("fstp_project", uid(PROJECT))
    assert "project's FSTP limit of €50,000.00" in breach.violation.message


def item_cost(n: int, source: Source, **extra: Any) -> Entry:
    return make_entry(n, K, "100.00", source=source, cost_item_ref="lab", **extra)


def test_double_funding_of_one_cost_item() -> None:
    one_eu = resolve([item_cost(1, Source.H2020), item_cost(2, Source.NATIONAL)])
    assert double_funding_breaches(one_eu, CTX, None) == []
    two_eu = resolve([item_cost(1, Source.H2020), item_cost(2, Source.ESIF)])
    (breach,) = double_funding_breaches(two_eu, CTX, None)
    assert breach.violation.rule is Rule.DOUBLE_FUNDING
    assert breach.excess == Decimal("200.00")


def de_minimis(n: int, amount: str, day: date) -> Entry:
    return make_entry(
        n, C, amount, source=Source.REGIONAL, project=None, day=day, is_de_minimis=True
    )


def test_de_minimis_ceiling_over_three_years() -> None:
    within = resolve(
        [de_minimis(1, "150000.00", date(2024, 3, 1)), de_minimis(2, "150000.00", date(2027, 3, 1))]
    )
    assert de_minimis_breaches(within, CTX, None) == []
    over = resolve(
        [
            de_minimis(1, "150000.00", date(2024, 3, 1)),
            de_minimis(2, "150000.01", date(2027, 2, 28)),
        ]
    )
    (breach,) = de_minimis_breaches(over, CTX, None)
    assert breach.violation.rule is Rule.DE_MINIMIS
    assert breach.excess == Decimal("0.01")


def test_disbursed_above_committed() -> None:
    commitment = make_entry(1, C, "100.00")
    paid = make_entry(2, D, "100.00", commitment_ref=commitment.entry_id)
    assert disbursed_breaches(resolve([commitment, paid]), CTX, None) == []
    more = make_entry(3, D, "0.01", commitment_ref=commitment.entry_id)
    breaches = disbursed_breaches(resolve([commitment, paid, more]), CTX, None)
    assert [b.key[0] for b in breaches] == ["commitment", "bucket"]
    assert all(b.excess == Decimal("0.01") for b in breaches)


def test_sme_share_of_a_value_chain() -> None:
    sme, large = 1, 2
    ledger = [
        make_entry(1, C, "75.00", beneficiary=sme),
        make_entry(2, C, "25.00", beneficiary=large),
    ]
    ctx = RuleContext(smes=frozenset({uid(sme)}))
    assert sme_share_breaches(resolve(ledger), ctx, None) == []
    more = resolve([*ledger, make_entry(3, C, "1.00", beneficiary=large)])
    (breach,) = sme_share_breaches(more, ctx, None)
    assert breach.violation.severity == "flag"
    assert sme_share_breaches(more, RuleContext(), None) == []  # SMEs not known: skipped


def test_consistency_of_a_correction_and_a_payment() -> None:
    original = make_entry(1, C, "100.00")
    res = resolve([original])
    assert consistency_problems(res, make_correction(2, original, "100.00", reverses=uid(1))) == []
    (problem,) = consistency_problems(res, make_correction(2, original, "99.00", reverses=uid(1)))
    assert "a reversal repeats the reversed amount €100.00, not €99.00" in problem
    (problem,) = consistency_problems(res, make_correction(3, original, "-100.01", adjusts=uid(1)))
    assert "below zero" in problem
    paid = make_entry(4, D, "10.00", commitment_ref=uid(1))
    assert consistency_problems(res, paid) == []
    (problem,) = consistency_problems(
        res, make_entry(5, D, "10.00", commitment_ref=uid(1), beneficiary=9)
    )
    assert "differs from it in beneficiary_id" in problem


# --- An authority's admission checks ------------------------------------------------------------


def item(**fields: Any) -> AuthorityEventIn:
    return AuthorityEventIn.model_validate(
        {
            "external_id": "ITH3-1",
            "kind": "commitment",
            "beneficiary_id": str(uuid.uuid4()),
            "source": "esif",
            "fund": "ERDF",
            "amount": "120000.00",
            "date": "2024-03-01",
            "region_nuts": "ITH35",
            **fields,
        }
    )


def test_an_authority_writes_in_its_region_only() -> None:
    assert outside_region(Authority("authority:ITH3", "ITH3"), item()) is None
    problem = outside_region(Authority("authority:ITC4", "ITC4"), item())
    assert problem is not None
    assert problem.status == 403
    assert problem.type.endswith("forbidden-region")


def test_a_sender_records_its_sources_only() -> None:
    esif_only = Authority("authority:ITH3", None, sources=frozenset({Source.ESIF}))
    assert source_not_recorded(esif_only, item()) is None
    problem = source_not_recorded(esif_only, item(source="regional", fund=None))
    assert problem is not None
    assert problem.type.endswith("forbidden-source")


def test_cluster_managers_record_their_value_chain_only() -> None:
    chain = uuid.uuid4()
    managers = Authority("cluster:x", None, project=chain)
    assert other_value_chain(managers, item()) is None  # no project: the chain's
    assert other_value_chain(managers, item(project_id=str(chain))) is None
    problem = other_value_chain(managers, item(project_id=str(uuid.uuid4())))
    assert problem is not None
    assert problem.type.endswith("forbidden-value-chain")
