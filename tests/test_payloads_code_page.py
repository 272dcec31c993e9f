"""A scanner set to the wrong code page sends a CCCD laid out right with a name no card
prints: it is refused naming the scanner's code page, never recorded, never blamed on the
card — and no real Vietnamese name, however written (NFC, NFD, upper case, minority names),
is ever refused for it."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import types
import unicodedata

import pytest

from kiosk import messages
from kiosk.payloads import Identity, Rejection, decode
from kiosk.payloads.names import (
    _AS_PRINTED,
    _CONTROL,
    _WRITTEN,
    LETTERS,
    double_encoded,
    mis_decoded,
)

TODAY = dt.date(2026, 6, 1)
ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
          "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")
RHYMES = ("a", "ai", "ao", "au", "ay", "am", "an", "ang", "anh", "ac", "ach", "at", "ap", "ăm",
          "ăn", "ăng", "ăc", "ăt", "ăp", "âm", "ân", "âng", "âc", "ât", "âp", "âu", "ây", "e",
          "eo", "em", "en", "eng", "ec", "et", "ep", "ê", "êu", "êm", "ên", "ênh", "êch", "êt",
          "i", "ia", "iu", "im", "in", "inh", "ich", "it", "iêm", "iên", "iêng", "iêc", "iêt",
          "iêu", "o", "oa", "oai", "oan", "oang", "oanh", "oac", "oat", "oăn", "oe", "oi", "om",
          "on", "ong", "oc", "ot", "op", "ô", "ôi", "ôm", "ôn", "ông", "ôc", "ôt", "ơ", "ơi",
          "ơm", "ơn", "ơt", "u", "ua", "uân", "uât", "uê", "uy", "uyên", "uyêt", "uynh", "ui",
          "um", "un", "ung", "uc", "ut", "uôi", "uôm", "uôn", "uông", "uôc", "uôt", "ư", "ưa",
          "ưi", "ưu", "ưng", "ưc", "ươi", "ươu", "ươm", "ươn", "ương", "ươc", "ươt", "y", "yêu",
          "yên")
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
VOWELS = set("aăâeêioôơuưy")


def syllables() -> list[str]:
    """Every onset and rhyme above with every tone, the tone on each of the rhyme's vowels
    in turn (old and new placement, and more): NFC, lower case."""
    out = []
    for onset, rhyme, tone in itertools.product(ONSETS, RHYMES, TONES):
        places = [i for i, char in enumerate(rhyme) if char in VOWELS] if tone else [0]
        for place in places:
            toned = rhyme[:place + 1] + tone + rhyme[place + 1:] if tone else rhyme
            out.append(unicodedata.normalize("NFC", onset + toned))
    return out


SYLLABLES = syllables()
NAMES = ("Nguyễn Thị Ngọc Huyền", "Đặng Thùy Trâm", "Trương Mỹ Lan", "Huỳnh Tấn Phát",
         "Lê Thị Hồng Gấm", "Phó Đức Phương", "Ksor H'Yơn", "Y Ngông Niê Kdăm", "Rơ Châm Jim",
         "H’Hen Niê", "Ưng Hoàng Phúc", "Quách Thị Quỳnh", "Lò Văn Giàng", "Dương Quá")


def cccd(name: str, gender: str = "Nữ") -> bytes:
    return f"079188004512|241337019|{name}|17041988|{gender}|Tổ 3, Ấp Mỹ Hòa|05052022".encode()


def test_no_vietnamese_syllable_in_any_form_is_taken_for_a_mis_decoded_name() -> None:
    assert len(SYLLABLES) > 20_000
    forms = {"NFC": SYLLABLES, "NFD": [unicodedata.normalize("NFD", s) for s in SYLLABLES]}
    forms["upper"] = [s.upper() for s in SYLLABLES]
    forms["upper NFD"] = [unicodedata.normalize("NFD", s) for s in forms["upper"]]
    forms["title"] = [s.title() for s in SYLLABLES]
    # a precomposed base with a combining tone, as cp1258 writes it ("ê" + U+0301)
    forms["cp1258-style"] = [unicodedata.normalize("NFC", unicodedata.normalize("NFD", s)[:1]) +
                             unicodedata.normalize("NFD", s)[1:] for s in SYLLABLES]
    for form, written in forms.items():
        refused = [s for s in written if mis_decoded(s)]
        assert refused == [], form
    pairs = [a + " " + b.upper() for a, b in zip(SYLLABLES, reversed(SYLLABLES), strict=True)]
    assert [p for p in pairs if mis_decoded(p)] == []


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_card_with_a_real_name_in_either_normal_form_is_accepted(name: str, form: str) -> None:
    written = unicodedata.normalize(form, name)
    identity = decode(cccd(written), today=TODAY)
    assert isinstance(identity, Identity)
    assert identity.name == written


def scanner_re_sent(name: str, page: str) -> str:
    """What a scanner that read the code's UTF-8 bytes as ``page`` sends on as UTF-8."""
    return name.encode().decode(page, "replace")


@pytest.mark.parametrize("page", ["latin-1", "cp1252"])
@pytest.mark.parametrize("name", [n for n in NAMES if not n.isascii()])
def test_a_name_read_in_latin1_or_cp1252_and_re_sent_as_utf8_is_refused_naming_the_scanner(
        name: str, page: str) -> None:
    sent = scanner_re_sent(name, page)
    assert double_encoded(sent)
    refusal = decode(cccd(sent, "Nam"), today=TODAY)
    assert isinstance(refusal, Rejection)
    assert (refusal.code, refusal.field) == ("scanner_code_page", "name")
    for language in messages.LANGUAGES:
        said = messages.text(refusal.code, language, detail=refusal.describe(language))
        assert "UTF-8" in said and "CCCD" not in said
    assert "the card is fine" in refusal.describe("en")
    assert "thẻ không có lỗi" in refusal.describe("vi")


def test_a_woman_whose_card_has_an_ascii_name_is_refused_for_the_scanner_not_her_gender() -> None:
    refusal = decode(cccd("Vo Thi Sau", scanner_re_sent("Nữ", "cp1252")), today=TODAY)
    assert isinstance(refusal, Rejection)
    assert (refusal.code, refusal.field) == ("scanner_code_page", "gender")


@pytest.mark.parametrize("sent", [
    "Đ\x15111ỗ Văn Bình",  # Ctrl+Shift+U the kiosk did not take: a control character stays
    "Tr\ufffdn Văn Bình",  # a byte no code page had
    "Ðôò Vãn Biình",  # cp1258 bytes read as cp1252 (Alt codes on a cp1252 kiosk)
    "Müller Anna",  # a letter no Vietnamese name has
])
def test_a_name_with_controls_replacement_or_foreign_letters_is_refused(sent: str) -> None:
    refusal = decode(cccd(sent), today=TODAY)
    assert isinstance(refusal, Rejection) and refusal.code == "scanner_code_page"


@pytest.mark.parametrize("sent", ["Ðặng Thùy Trâm", "Phó Ðức Phương", "ÐINH THỊ LAN",
                                  "Nguyễn Văn ðông", "Ðôò Vãn Biình"])
def test_an_eth_for_d_is_refused_for_the_code_page_naming_the_letter(sent: str) -> None:
    """Đ as cp1258's byte 0xD0 (đ: 0xF0) read in cp1252 is Ð (ð), the Icelandic eth: no
    Vietnamese name holds it, so the card is refused for the scanner's code page, never
    recorded as another person. Ð looks just like Đ, so the refusal names the letter and
    the code pages; before, it said only "holds characters no Vietnamese text has" beside a
    name that showed the reader nothing wrong."""
    refusal = decode(cccd(sent), today=TODAY)
    assert isinstance(refusal, Rejection)
    assert (refusal.code, refusal.field) == ("scanner_code_page", "name")
    assert refusal.describe("en").startswith(
        f"name '{sent}' has 'Ð' (U+00D0, the Icelandic eth) in place of 'Đ': they look alike, "
        "but the scanner read the code in the cp1252 code page (byte 0xD0 is Đ in cp1258, Ð "
        "in cp1252), other letters may be wrong too; the card is fine. Call the technician: "
        "`kiosk devices watch` names the setting (the scanner's output in UTF-8, or "
        "ansi_codepage = \"cp1258\" for a scanner typing Alt codes)")
    assert "có chữ 'Ð' (U+00D0, chữ eth của tiếng Iceland) thay cho 'Đ'" in refusal.describe("vi")
    assert messages.text(refusal.code, "en", detail=refusal.describe("en")).startswith(
        "The scanner read the code in the wrong code page, not recorded: ")


@pytest.mark.parametrize("number", ["079000000005", "******000005"])
def test_a_pccovid_code_with_an_eth_for_d_is_the_same_person_as_her_card(number: str) -> None:
    """A PC-Covid code's name is taken with another code page's letters (foreigners'), so
    "ĐẶNG THỊ TRÂM" with cp1258's Đ read as cp1252 is recorded as "ÐANG THI TRAM" — and its
    match key is her card's: no Vietnamese name holds an eth, it folds as D. Before, the key
    kept it, and a trace listed her code and her card as two people."""
    code = decode(f"{number}|ÐANG THI TRAM|1965-**-**|0|1234567|".encode(), today=TODAY)
    card = decode("079000000005||Đặng Thị Trâm|01021965|Nữ|Huế|10102021".encode(),
                  today=TODAY)
    assert isinstance(code, Identity) and isinstance(card, Identity)
    assert code.name == "ÐANG THI TRAM"  # kept as sent: the raw code says so too
    assert code.match_key == card.match_key == "m:000005|DANG THI TRAM|1965"


def test_a_misread_without_an_eth_keeps_the_words_of_any_misreading() -> None:
    refusal = decode(cccd(scanner_re_sent("Đặng Thùy Trâm", "cp1252")), today=TODAY)
    assert isinstance(refusal, Rejection) and refusal.code == "scanner_code_page"
    assert "holds characters no Vietnamese text has" in refusal.describe("en")
    assert "eth" not in refusal.describe("en")


def test_a_pccovid_name_read_in_another_code_page_is_refused_too() -> None:
    code = f"******188004|{scanner_re_sent('ĐỖ', 'cp1252')} VAN BINH|1988-**-**|0|1|".encode()
    refusal = decode(code, today=TODAY)
    assert isinstance(refusal, Rejection) and refusal.code == "scanner_code_page"
    assert isinstance(decode(b"******188004|DO VAN BINH|1988-**-**|0|1|", today=TODAY),
                      Identity)


@pytest.mark.parametrize("name", ["MÜLLER ANNA", "JOSÉ NUÑEZ", "FRANÇOIS DUPONT"])
def test_a_foreigners_pccovid_name_is_taken_with_its_own_letters(name: str) -> None:
    """PC-Covid codes were issued to foreigners too (a passport number in place of the
    document): their names hold letters no Vietnamese name has, which a CCCD's may not."""
    person = decode(f"C1234567|{name}|1988-**-**|0|1|".encode(), today=TODAY)
    assert isinstance(person, Identity), person
    assert person.name == name


def test_a_name_as_printed_is_checked_by_one_match_not_by_trying_the_double_encoding() -> None:
    """Nearly every scan's name is printable ASCII and Vietnamese letters in NFC: the check
    answers it by one match, not by trying the double encoding (an exception raised and
    caught for each Vietnamese name: 3 µs of every CCCD's decode). Watched by a profile
    hook, not timed."""
    tried: list[str] = []

    def watch(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is double_encoded.__code__:
            tried.append(frame.f_locals["text"])

    sys.setprofile(watch)
    try:
        people = [decode(cccd(name), today=TODAY) for name in NAMES if "’" not in name]
        pccovid = decode("******188004|ĐỖ VĂN BÌNH|1988-**-**|0|1|".encode(), today=TODAY)
    finally:
        sys.setprofile(None)
    assert all(isinstance(person, Identity) for person in [*people, pccovid])
    assert tried == []
    assert double_encoded(scanner_re_sent("Đặng Thùy Trâm", "cp1252"))  # still tried otherwise
    assert mis_decoded("Ã’") and not mis_decoded("H’Hen Niê")  # ’ is cp1252's 0x92


def test_every_pair_of_characters_a_name_as_printed_holds_passes_the_whole_check_too() -> None:
    """The one match answers only for what the whole check (control characters, the double
    encoding, letters after NFC) passes: every character it takes, and every pair of them —
    a double encoding is a lead byte and what follows it."""
    printed = [chr(code) for code in range(0x3000) if _AS_PRINTED.fullmatch(chr(code))]
    assert set(printed) == {chr(code) for code in range(0x20, 0x7F)} | LETTERS
    whole = [a + b for a in printed for b in printed]
    assert [text for text in whole
            if double_encoded(text) or _CONTROL.search(text)
            or _WRITTEN.fullmatch(unicodedata.normalize("NFC", text)) is None] == []
