"""NACE codes, validated against the lists `python-stdnum` carries offline.

Canonical form: the section letter, then the division, then a dot before the group and
class digits, as Eurostat prints them: ``C``, ``C28``, ``C28.1``, ``C28.11``. The section
is always ``code[0]``. Sections are looked up per revision because Rev. 2.1 moved
divisions between sections (62 is J in Rev. 2 and K in Rev. 2.1), and some classes were
renumbered (Rev. 2 62.01 is Rev. 2.1 62.10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.eu import nace
from stdnum.exceptions import ValidationError

NACE_REVISIONS = ("2", "2.1")
# Rev. 2.1 replaces Rev. 2 for statistics from 2025 (Commission Delegated Regulation (EU)
# 2023/137); H2020-era data is coded in Rev. 2.
DEFAULT_NACE_REVISION = "2.1"

# stdnum names the first revision "2.0".
_STDNUM_REVISION = {"2": "2.0", "2.1": "2.1"}
_SPELLING = re.compile(r"(?P<section>[A-Z])?(?P<digits>[0-9]{2}(?:\.?[0-9]{1,2})?)?")


class InvalidNace(ValueError):
    pass


@dataclass(frozen=True)
class NaceCode:
    code: str  # canonical: "C", "C28", "C28.1", "C28.11"
    section: str
    label: str
    revision: str


def validate_nace(code: str, revision: str = DEFAULT_NACE_REVISION) -> NaceCode:
    """Resolve ``code`` ("C28.11", "28.11", "c 28.11", "2811", "C") in NACE ``revision``.

    A section letter that is given must be the division's section; raises
    :class:`InvalidNace` saying what is wrong.
    """
    if revision not in NACE_REVISIONS:
        raise InvalidNace(f"unknown NACE revision {revision!r}; known: {', '.join(NACE_REVISIONS)}")
    name = f"NACE Rev. {revision}"
    match = _SPELLING.fullmatch(re.sub(r"\s+", "", code.upper()))
    if match is None or not (match["section"] or match["digits"]):
        raise InvalidNace(
            f"{code!r} is not a NACE code: expected a section letter and/or a division "
            f"with optional group and class digits, such as C28.11, 28.11 or C"
        )
    given_section, digits = match["section"], (match["digits"] or "").replace(".", "")
    number = digits or given_section or ""
    try:
        found = nace.info(
            nace.validate(number, revision=_STDNUM_REVISION[revision]),
            revision=_STDNUM_REVISION[revision],
        )
    except ValidationError as exc:
        raise InvalidNace(f"NACE code {code.strip()!r} does not exist in {name}") from exc
    if not digits:
        return NaceCode(number, number, found["label"], revision)
    section = found["section"]
    if given_section and given_section != section:
        raise InvalidNace(
            f"NACE code {code.strip()!r}: in {name} division {digits[:2]} is in section "
            f"{section}, not {given_section}"
        )
    canonical = section + digits[:2] + (f".{digits[2:]}" if len(digits) > 2 else "")
    return NaceCode(canonical, section, found["label"], revision)


def nace_section(code: str, revision: str = DEFAULT_NACE_REVISION) -> str:
    """The section letter of ``code`` in ``revision`` (validating it on the way)."""
    return validate_nace(code, revision).section
