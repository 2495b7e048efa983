"""The name key that flags possible duplicates: case, accents, script and legal forms
set aside, nothing else."""

from __future__ import annotations

# ruff: noqa: RUF001  (Cyrillic and Greek names, as their registers write them)
import pytest
from synergia_registry.actors.names import name_key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ACME Ltd.", "Acme Limited"),
        ("Acme Holding GmbH & Co. KG", "ACME HOLDING"),
        ("Agro-Invest S.R.L.", "AGRO INVEST SRL"),
        ("Žito d.o.o.", "ZITO DOO"),
        ("Щастие ООД", "Shtastie OOD"),  # Bulgaria's official transliteration: щ is sht
        ("Агро Струма ЕООД", "AGRO STRUMA Ltd."),
        ("ЕТ Иван Петров", "Ivan Petrov"),  # a sole trader's form stands first
        ("ΑΛΦΑ Α.Ε.", "Alfa AE"),
        ("Kowalski sp. z o.o.", "KOWALSKI"),
        ("Société Générale S.A.", "SOCIETE GENERALE"),
        ("Straße GmbH", "Strasse"),
    ],
)
def test_spellings_of_one_name_share_a_key(one: str, other: str) -> None:
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Acme Ltd", "Acme Systems Ltd"),
        ("AD Astra", "Astra"),  # AD is a legal form at the end, not at the start
        ("Pirin Research", "Rila Research"),
    ],
)
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_a_name_that_is_only_a_legal_form_keeps_it() -> None:
    assert name_key("Ltd.") == "ltd"
    assert name_key("— ! —") == ""
