"""The name key: a legal name reduced to what tells two organisations apart.

Two actors of one country whose keys are equal are likely the same organisation written
twice ("ACME Ltd." and "Acme Limited", "Щастие ООД" and "Shtastie OOD", "Žito d.o.o." and
"ZITO DOO"). The key is compared for equality only (an index lookup, set-based for a
whole batch); it never decides alone: a match is reported as a possible duplicate for
the sender to confirm.

The steps, in order:

1. Cyrillic and Greek letters are written in Latin, Cyrillic by Bulgaria's official
   system (Transliteration Act 2009: щ→sht, ъ→a, ж→zh, х→h, which the EU's own
   beneficiary lists use for Bulgarian names) with the letters of the other Cyrillic
   alphabets added, Greek by ELOT 743's letter-for-letter table.
2. Compatibility forms are unfolded and diacritics dropped (NFKD), ß is ss, Æ/Ø/Œ/Ł/Đ
   their Latin letters; everything is case-folded.
3. Dots and apostrophes are removed (``S.R.L.`` → ``srl``, ``d.o.o.`` → ``doo``), ``&``
   is ``and``, every other non-alphanumeric character separates words.
4. Legal forms are removed from the end, repeatedly (``Acme Holding GmbH & Co. KG``
   loses ``kg``, ``and co``, ``gmbh``), and the few written first (Bulgaria's ЕТ, the
   Ukrainian and Russian forms: ``ТОВ «Агро»``) from the start; never the whole name:
   a name that is only a form keeps it.
"""

# The tables below are Cyrillic and Greek letters written next to their Latin spelling,
# in rows that read like the laws' own tables.
# ruff: noqa: RUF001, RUF002, SIM905

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюяѐёѝыэєіїґђјљњћџѓќѕў",
        [
            *"a b v g d e zh z i y k l m n o p r s t u f h ts ch sh sht a y yu ya".split(),
            *"e e i y e ye i yi g dj j lj nj c dz gj kj dz u".split(),
        ],
        strict=True,
    )
)
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
        [
            *"a v g d e z i th i k l m n x o p r s s t y f ch ps o".split(),
            *"a e i i o y o i y i y".split(),
        ],
        strict=True,
    )
)
_LETTERS = str.maketrans(
    {**_CYRILLIC, **_GREEK, "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d"}
)
_JOINED = re.compile(r"[.'’`´]")
_SEPARATORS = re.compile(r"[^0-9a-z]+")

# Legal forms as words after step 3, one tuple of words per form: the usual
# abbreviations (as in ISO 20275's Entity Legal Forms list) of the Member States and
# Associated Countries whose organisations the registry holds most.
_FORMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(form.split())
    for form in (
        # English-speaking and general
        "ltd", "limited", "plc", "llp", "lp", "llc", "inc", "corp", "corporation", "co",
        "company", "and co", "cic", "clg",
        # German-speaking
        "gmbh", "ag", "kg", "ohg", "gbr", "ug", "ev", "eg", "se", "kgaa", "gmbh and co kg",
        "gesmbh", "mbh",
        # Romance languages
        "sa", "sas", "sasu", "sarl", "eurl", "sca", "scs", "snc", "sci", "srl", "srls",
        "spa", "sapa", "ss", "scarl", "scrl", "sl", "slu", "sal", "lda", "unipessoal lda",
        "sprl", "srl unipersonala", "sc", "sa de cv", "sccl", "pfa", "ii", "if",
        # Dutch and Nordic
        "bv", "nv", "vof", "cv", "vzw", "asbl", "ab", "publ", "ab publ", "as", "asa",
        "aps", "oy", "oyj", "ky", "hf", "ehf", "ou", "oue", "uab",
        # Central and Eastern Europe
        "sro", "spol sro", "zs", "sp zoo", "sp z oo", "spolka z oo", "sk",
        "spj", "kft", "zrt", "nyrt", "bt", "doo", "dd", "dno", "doel", "ad", "ood",
        "eood", "ead", "et", "kd", "sia", "akc sab", "tov", "pp", "pat", "prat", "ooo",
        "zao", "oao", "pao", "ao",
        # Greek
        "ae", "epe", "ike", "oe", "ee", "mon ike", "mepe",
        # Turkish (A.Ş. is "as" above)
        "ltd sti", "sti",
    )
)  # fmt: skip
_LEADING_FORMS = frozenset(
    (form,) for form in ("et", "tov", "pp", "pat", "prat", "ooo", "zao", "oao", "pao")
)
_LONGEST_FORM = max(len(form) for form in _FORMS)


def _letters(name: str) -> str:
    text = name.casefold().translate(_LETTERS)
    if text.isascii():  # no accents to take off (the common case once transliterated)
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_words(name: str) -> list[str]:
    """The name's words after steps 1 to 3 (transliterated, unaccented, folded)."""
    text = _JOINED.sub("", _letters(name).replace("&", " and "))
    return [word for word in _SEPARATORS.split(text) if word]


def _strip_forms(words: list[str]) -> list[str]:
    changed = True
    while changed and len(words) > 1:
        changed = False
        for size in range(min(_LONGEST_FORM, len(words) - 1), 0, -1):
            if tuple(words[-size:]) in _FORMS:
                words, changed = words[:-size], True
                break
            if tuple(words[:size]) in _LEADING_FORMS:
                words, changed = words[size:], True
                break
    return words


def name_key(name: str) -> str:
    """The key of a legal name (see the module's docstring); ``""`` for a name without
    letters or digits."""
    return " ".join(_strip_forms(name_words(name)))
