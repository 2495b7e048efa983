"""The first tier of a partner search: the candidates two or more needed groups match."""

from __future__ import annotations

import itertools
import re

import pytest
from synergia_matching.partners.repository import at_least_two


def _holds(expression: str, true: set[str]) -> bool:
    """``expression`` (tsquery operators over term names) with ``true`` terms matching."""
    python = expression.replace("&&", " and ").replace("||", " or ")
    python = re.sub(r"\bt\d+\b", lambda m: str(m.group(0) in true), python)
    return bool(eval(python))  # only True/False, parentheses, and/or: built above


@pytest.mark.parametrize("n", range(2, 17))
def test_at_least_two_holds_exactly_when_two_or_more_terms_match(n: int) -> None:
    terms = [f"t{i}" for i in range(n)]
    expression = at_least_two(terms)
    subsets = (
        itertools.chain.from_iterable(itertools.combinations(terms, k) for k in range(n + 1))
        if n <= 10
        else itertools.chain(
            *(itertools.combinations(terms, k) for k in (0, 1, 2, 3)), [tuple(terms)]
        )
    )
    for matched in subsets:
        assert _holds(expression, set(matched)) == (len(matched) >= 2), (n, matched)


def test_each_term_appears_n_log_n_times_not_n_squared() -> None:
    """The GIN index evaluates the expression for every row any term matches: 16 groups
    (a need written as sentences) make 64 references, where pairing each group with all
    those after it made 135."""
    terms = [f"t{i}" for i in range(16)]
    assert len(re.findall(r"\bt\d+\b", at_least_two(terms))) == 64


def test_fewer_than_two_terms_are_refused() -> None:
    with pytest.raises(ValueError, match="two"):
        at_least_two(["t0"])
