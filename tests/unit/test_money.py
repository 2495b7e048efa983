from decimal import Decimal

from synergia_shared.money import euros


def test_cents_and_thousands() -> None:
    assert euros(Decimal("1234.5")) == "€1,234.50"
    assert euros(Decimal("60000.00")) == "€60,000.00"


def test_negative_amounts_keep_their_sign() -> None:
    assert euros(Decimal("-12.30")) == "€-12.30"


def test_whole_euros_with_another_prefix() -> None:
    assert euros(Decimal("50000000"), places=0, prefix="EUR ") == "EUR 50,000,000"
    assert euros(Decimal("1999.5"), places=0, prefix="EUR ") == "EUR 2,000"
