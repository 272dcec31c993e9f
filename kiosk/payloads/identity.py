"""What a payload says about a person, and why a payload was refused."""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from dataclasses import dataclass, field

from kiosk import messages


@dataclass(frozen=True)
class Identity:
    """A person (or, for kind ``other``, a thing) as read from one code.

    ``subject_key`` is what duplicates and "who is inside" are keyed on: ``doc:<number>`` when
    the document number is known in full, so a CCCD and a PC-Covid code of the same person
    agree; otherwise a stable hash of what the code does say. ``match_key`` (document suffix,
    ASCII name, birth year) lets a code whose number is masked find the full number seen before.
    """

    kind: str
    subject_key: str
    raw: bytes
    document_number: str | None = None
    name: str | None = None
    birth_date: str | None = None
    gender: str | None = None
    address: str | None = None
    issue_date: str | None = None
    match_key: str | None = None
    document_masked: bool = False
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejection:
    """A payload that must not be recorded, with a reason an officer can act on.

    ``problem`` names what is wrong (``detail.<problem>`` in ``kiosk.messages.CATALOGUE``)
    and ``field`` / ``value`` say where, so each front end words it in its own language;
    ``reason`` instead, when the words come whole from elsewhere (the centre's own rules);
    ``detail`` is the English wording kept in logs and the refused-scans table.
    """

    code: str
    problem: str = ""
    value: str = ""
    field: str = ""
    reason: messages.Words | None = None

    @property
    def detail(self) -> str:
        return self.describe("en")

    @property
    def words(self) -> messages.Words | str:
        """The reason not worded yet, for a front end to word in its reader's language."""
        if self.reason is not None:
            return self.reason
        return messages.detail_words(self.problem, field=self.field, value=self.value)

    def describe(self, language: str) -> str:
        words = self.words
        return words(language) if isinstance(words, messages.Words) else words


def document_key(number: str) -> str:
    return "doc:" + number.strip().upper()


def foreign_document_key(number: str) -> str:
    """The key of another country's document, typed by hand with «Giấy tờ nước ngoài» /
    *Foreign document* ticked: apart from :func:`document_key`, so a passport numbered like a
    CMND (9 digits) is not that CMND's holder to a trace, nor counted as them."""
    return "fdoc:" + number.strip().upper()


def payload_key(raw: bytes) -> str:
    return "raw:" + hashlib.sha256(raw).hexdigest()[:32]


def fold_name(name: str) -> str:
    """Upper-case ASCII without diacritics: how PC-Covid writes names (Đ has no decomposition).

    Ð and ð (U+00D0, U+00F0: the Icelandic eth) fold to D and d as Đ and đ do: they are
    what cp1258's Đ and đ show when read as cp1252, which a PC-Covid code's name may be
    recorded with (:func:`kiosk.payloads.names.garbled` takes another code page's letters),
    and no Vietnamese name holds an eth. Before (match keys of kiosk stores before v15 and
    centres before v57), "ÐANG THI TRAM" kept its eth, and her PC-Covid code and her card
    ("Đặng Thị Trâm") were two people to a trace.

    Each character is folded on its own (its compatibility decomposition without combining
    marks: what decomposing the whole name and dropping them gives), once, then looked up
    by ``str.translate``: a scan folds its name twice, in ~1 µs instead of ~6."""
    return " ".join(name.translate(_FOLDED).upper().split())


class _Folded(dict[int, str]):
    """Character code → the character without diacritics; filled as characters are met."""

    LIMIT = 10_000
    """Characters remembered at most: a hostile payload cannot grow it without bound."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = _NO_DECOMPOSITION.get(char) or "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if len(self) < self.LIMIT:
            self[code] = folded
        return folded


_NO_DECOMPOSITION = {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"}
"""The letters folded to D without a decomposition to take it from (:func:`fold_name`)."""
_FOLDED = _Folded()


def digits(text: str) -> bool:
    """Whether text is ASCII digits only: ``str.isdigit`` (and ``int``) also take other
    scripts' digits (Arabic-Indic, full-width…), which no document prints."""
    return text.isascii() and text.isdigit()


MATCH_KEY_CHARS = 256
"""The longest match key: the wire's ``MAX_KEY_CHARS`` (``kiosk.sync.protocol``, which the scan
path loads only at the first scan; a test ties the two). A longer key would have the whole
scan refused by the centre's rules, and the key is only an aid to matching: a name that long
(no real one is) gets none, and the entry is recorded."""


def make_match_key(document: str, name: str, birth_year: str) -> str | None:
    suffix = document[-6:]
    if len(suffix) < 6 or not digits(suffix) or not digits(birth_year):
        return None
    key = f"m:{suffix}|{fold_name(name)}|{birth_year}"
    return key if len(key) <= MATCH_KEY_CHARS else None


ETH = "Ð"
"""What :func:`fold_name` kept of an eth (Ð, ð) before it folded it as D: match keys made by
kiosk stores before v15 (and held by centres before v57) may hold it."""


def refolded(match_key: str) -> str:
    """A match key as :func:`make_match_key` makes it now, from one made while
    :func:`fold_name` kept an eth (:data:`ETH`, the only character it folds otherwise now:
    the suffix and the birth year are digits); any other key as it is."""
    return match_key.replace(ETH, "D")


def eth_spellings(match_key: str) -> set[str]:
    """The match keys that :func:`refolded` makes this one of: each D of its name kept, or
    an eth as kiosks before v15 kept it (its first 8 D's: 256 keys at most; names have one
    or two). What a trace recorded before the centre's v57 may have shown her under."""
    first, last = match_key.find("|"), match_key.rfind("|")
    if not match_key.startswith("m:") or not 0 <= first < last:
        return {match_key}
    name = match_key[first + 1:last]
    places = [n for n, char in enumerate(name) if char == "D"][:8]
    spelt = set()
    for eths in itertools.product((False, True), repeat=len(places)):
        letters = list(name)
        for place, eth in zip(places, eths, strict=True):
            letters[place] = ETH if eth else "D"
        spelt.add(f"{match_key[:first + 1]}{''.join(letters)}{match_key[last:]}")
    return spelt
