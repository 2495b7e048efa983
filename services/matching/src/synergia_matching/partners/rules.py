"""Pure rules of partner searches."""

from __future__ import annotations


def says_what_is_needed(
    *, terms: bool, competences: bool, nace_codes: bool, ecosystems: bool
) -> bool:
    """A search must say what it needs: terms (text or keywords that are not all stop
    words), competences, NACE codes or ecosystems: else there is nothing to hold the
    candidates' offers against."""
    return terms or competences or nace_codes or ecosystems
