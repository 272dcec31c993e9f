"""Payload bytes → Identity or Rejection: every kind a checkpoint sees, and nothing ever raises."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.certificates import facts
from kiosk.payloads import Identity, Rejection, decode
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.scan import QR_MAX_BYTES, QR_MAX_CHARS
from tests.certificate_support import make_issuer, vaccination
from tests.conftest import CCCD_AN

DGC = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "dgc"
TODAY = dt.date(2026, 11, 22)


def ok(raw: bytes | str) -> Identity:
    result = decode(raw.encode() if isinstance(raw, str) else raw, today=TODAY)
    assert isinstance(result, Identity), result
    return result


def refused(raw: str) -> Rejection:
    result = decode(raw.encode(), today=TODAY)
    assert isinstance(result, Rejection), result
    return result


class TestCCCD:
    def test_seven_field_card_keeps_every_diacritic(self):
        who = ok(CCCD_AN)
        assert (who.kind, who.document_number, who.name) == ("cccd", "001099012345",
                                                             "Nguyễn Văn An")
        assert (who.birth_date, who.gender, who.issue_date) == ("1990-02-01", "Nam",
                                                                "2021-10-10")
        assert who.address == "Số 1 Phố Huế, Hà Nội"
        assert who.extra["old_id"] == "123456789"
        assert who.subject_key == "doc:001099012345"
        assert who.raw == CCCD_AN.encode()

    def test_empty_old_id_is_allowed(self):
        who = ok("001099012345||Trần Thị Bình|15071985|Nữ|Huế|20052021")
        assert who.gender == "Nữ" and "old_id" not in who.extra

    def test_2024_card_with_eleven_fields_keeps_trailing_empty_fields(self):
        who = ok("048205000123|201234567|Lê Văn Tú|30121999|Nam|Đà Nẵng|04102024||||")
        assert who.extra["layout"] == "11-field"
        assert [who.extra[f"extra_{i}"] for i in range(1, 5)] == ["", "", "", ""]

    def test_six_field_variant_with_slashed_dates(self):
        who = ok("001099012345|Nguyễn Văn An|01/02/1990|Nam|Hà Nội|10/10/2021")
        assert (who.kind, who.birth_date, who.issue_date) == ("cccd", "1990-02-01",
                                                              "2021-10-10")

    def test_bom_and_line_endings_from_scanners_are_stripped(self):
        assert ok(b"\xef\xbb\xbf" + CCCD_AN.encode() + b"\r\n").raw == CCCD_AN.encode()

    def test_decomposed_unicode_is_kept_exactly_as_sent(self):
        import unicodedata
        nfd = unicodedata.normalize("NFD", CCCD_AN)
        assert ok(nfd).name == unicodedata.normalize("NFD", "Nguyễn Văn An")

    @pytest.mark.parametrize(("payload", "why"), [
        ("00109901234|123456789|An|01021990|Nam|HN|10102021", "expected 12 digits"),
        ("001099012345|123456789|An|31021990|Nam|HN|10102021", "no such date"),
        ("001099012345|123456789|An|01021990|Nam|HN|10102099", "in the future"),
        ("001099012345|123456789|An|1990-02-01|Nam|HN|10102021", "expected DDMMYYYY"),
        ("001099012345|123456789|An|01021990|Male|HN|10102021", "expected Nam or Nữ"),
        ("001099012345|12345|An|01021990|Nam|HN|10102021", "old ID"),
        ("001099012345|123456789||01021990|Nam|HN|10102021", "name is empty"),
        ("001099012345|123456789|An|01021990|Nam|HN|10101980", "before birth"),
    ])
    def test_a_code_that_claims_to_be_a_cccd_but_is_wrong_is_refused_with_the_field(
            self, payload, why):
        rejection = refused(payload)
        assert rejection.code == "cccd_bad_field"
        assert why in rejection.detail


class TestInvisibleCharactersInAReason:
    """A refusal quotes the field's value with what nobody can see written out — a control
    byte as ``\\x02``, a zero-width space as ``\\u200b`` — so "expected 12 digits" next to 12
    digits explains itself: a scanner framing its codes with STX (0x02) and ETX (0x03) that
    the config does not remove (``prefix``/``suffix``; ``kiosk devices watch`` suggests
    them). Every kind's reasons are worded in one place (``messages.detail_words``)."""

    @pytest.mark.parametrize(("payload", "vi", "en"), [
        (f"\x02{CCCD_AN}", "số CCCD '\\x02001099012345': phải có 12 chữ số",
         "ID '\\x02001099012345': expected 12 digits"),
        (f"{CCCD_AN}\x03", "ngày cấp '10102021\\x03': phải có dạng NNTTNNNN",
         "issue date '10102021\\x03': expected DDMMYYYY"),
        ("******012345|AN|1990-**-**|0|162979388586\u200b|",
         "mã QID '162979388586\\u200b': chỉ được có chữ số",
         "QID '162979388586\\u200b': expected digits"),
    ], ids=["cccd-stx", "cccd-etx", "pccovid-zero-width-space"])
    def test_a_refused_fields_invisible_characters_are_shown_as_escapes(self, payload, vi, en):
        rejection = refused(payload)
        assert rejection.describe("vi").endswith(vi)
        assert rejection.describe("en").endswith(en)
        assert rejection.detail.endswith(en)  # the refused-scans log's words too

    def test_a_typed_value_shows_its_tab_and_a_backslash_is_never_taken_for_an_escape(self):
        document = decode_manual(ManualEntry("Nguyễn Văn An", document_number="\t0010990\\x"))
        assert isinstance(document, Rejection)
        assert "'\\x090010990\\\\X': expected 9 or 12 digits, or a Vietnamese passport " \
            "number" in document.describe("en")

    def test_visible_text_is_left_as_it_is(self):
        rejection = refused(CCCD_AN.replace("|Nam|", "|Nữ giới|"))
        assert rejection.describe("vi").endswith("giới tính 'Nữ giới': phải là Nam hoặc Nữ")


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
NUMBER_AND_DATE_DIGITS = [i for i, c in enumerate(CCCD_AN) if c.isdigit()
                          and CCCD_AN.count("|", 0, i) not in (2, 5)]  # not name, address


class TestDigitsOfOtherScripts:
    """Python's ``\\d``, ``str.isdigit`` and ``int`` take any script's digits (``int('١٢')`` is
    12). No card or code prints them: a field so written is a forgery or garbage, refused with
    the same words as any other malformed field, and never recorded."""

    @pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH], ids=["arabic", "fullwidth"])
    @pytest.mark.parametrize(("fields", "words"), [
        ("001099012345|123456789|An|{01021990}|Nam|HN|10102021",
         "birth date '{}': expected DDMMYYYY"),
        ("001099012345|123456789|An|01021990|Nam|HN|{10102021}",
         "issue date '{}': expected DDMMYYYY"),
        ("001099012345|An|{01/02/1990}|Nam|HN|10/10/2021", "birth date '{}': expected DDMMYYYY"),
        ("001099012345|An|01/02/1990|Nam|HN|{10/10/2021}", "issue date '{}': expected DDMMYYYY"),
        ("{001099012345}|123456789|An|01021990|Nam|HN|10102021", "ID '{}': expected 12 digits"),
        ("001099012345|{123456789}|An|01021990|Nam|HN|10102021",
         "old ID '{}': expected 9 or 12 digits or empty"),
    ])
    def test_a_cccd_field_in_other_digits_is_refused_as_malformed(self, digits, fields, words):
        before, written, after = fields.replace("}", "{").split("{")
        shown = written.translate(digits)
        rejection = refused(before + shown + after)
        assert rejection.code == "cccd_bad_field"
        assert rejection.describe("en") == words.format(shown)

    @settings(max_examples=200)
    @given(position=st.sampled_from(NUMBER_AND_DATE_DIGITS),
           digit=st.characters(categories=["Nd"]).filter(lambda c: not c.isascii()))
    def test_one_such_digit_anywhere_in_a_number_or_date_is_refused(self, position, digit):
        rejection = refused(CCCD_AN[:position] + digit + CCCD_AN[position + 1:])
        assert rejection.code == "cccd_bad_field"

    def test_a_pccovid_birth_year_or_qid_in_other_digits_is_refused(self):
        year = refused("******012345|AN|" + "1990".translate(ARABIC_INDIC) + "-**-**|0|1|")
        assert (year.code, year.field, year.problem) == ("pccovid_bad_field", "birth_date",
                                                         "digits")
        qid = refused("******012345|AN|1990-**-**|0|16297938858617110" + "²|")
        assert (qid.code, qid.field) == ("pccovid_bad_field", "qid")

    @pytest.mark.parametrize(("entry", "field"), [
        (ManualEntry("Nguyễn Văn An", document_number="001099012345".translate(FULL_WIDTH)),
         "document_number"),
        (ManualEntry("Nguyễn Văn An", phone="0" + "912345678".translate(ARABIC_INDIC)), "phone"),
    ])
    def test_a_typed_number_in_other_digits_is_refused(self, entry, field):
        rejection = decode_manual(entry)
        assert isinstance(rejection, Rejection)
        assert (rejection.code, rejection.field) == ("manual_bad_field", field)


class TestPCCovid:
    def test_masked_code_keeps_the_mask_and_gets_a_match_key(self):
        who = ok("******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678")
        assert (who.kind, who.document_number, who.document_masked) == (
            "pccovid", "******012345", True)
        assert who.birth_date == "1990-**-**"
        assert who.extra == {"declarant_type": "0", "qid": "162979388586171100",
                             "ext": "<1<00<0912345678"}
        assert who.match_key == ok(CCCD_AN).match_key == "m:012345|NGUYEN VAN AN|1990"

    def test_six_digits_alone_are_the_masked_number_that_lost_its_stars(self):
        """A reader or keyboard layout that drops ``*`` leaves a 12-digit card's last six
        digits: read as a whole document number, two people whose cards end alike would
        be one person (an exit recorded for the other's entry)."""
        an = ok("012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|")
        binh = ok("012345|TRAN THI BINH|1985-**-**|0|162979388586171101|")
        assert (an.document_number, an.document_masked) == ("******012345", True)
        assert an.subject_key == an.match_key == "m:012345|NGUYEN VAN AN|1990"
        assert binh.subject_key != an.subject_key

    def test_unmasked_document_gives_the_same_subject_as_the_cccd(self):
        who = ok("001099012345|NGUYEN VAN AN|1990-02-01|1|162979388586171100|")
        assert who.subject_key == ok(CCCD_AN).subject_key

    def test_qid_must_be_digits(self):
        assert refused("******012345|AN|1990-**-**|0|abc|").code == "pccovid_bad_field"


class TestHC1:
    @pytest.mark.skipif(not DGC.exists(), reason="EU DCC test data not present")
    def test_real_eu_certificates_are_recognised_and_their_holder_read(self):
        cases = sorted(DGC.glob("*/2DCode/raw/*.json"))
        assert cases
        read = 0
        for case in cases:
            data = json.loads(case.read_text(encoding="utf-8"))
            prefix = data.get("PREFIX")
            if not prefix:
                continue
            who = ok(prefix)
            assert who.kind == "hc1"
            expected = (data.get("JSON") or {}).get("nam", {})
            if expected and "decode_error" not in who.extra:
                assert expected.get("fn", "") in (who.name or "")
                read += 1
        assert read >= len(cases) // 2

    def test_a_vietnamese_certificate_names_its_holder_as_the_cccd_does(self):
        """fn="Nguyễn", gn="Văn An": the officer compares it with the CCCD's "Nguyễn Văn An"."""
        code = make_issuer().sign(vaccination(), issued=0, expires=2**31)
        assert ok(code).name == ok(CCCD_AN).name == "Nguyễn Văn An"

    @pytest.mark.parametrize(("entry", "shown"), [
        ({"ci": "URN:UVCI:01:VN:ABC123", "co": "VN"}, "Nguyễn Văn An"),
        ({"ci": "URN:UVCI:01:VN:ABC123", "co": "DE"}, "Nguyễn Văn An"),  # issued by VN
        ({"co": "VN"}, "Nguyễn Văn An"),           # no UVCI: where the dose was
        ({"ci": "01JPX7", "co": "JP"}, "Nguyễn Văn An"),
        ({"ci": "URN:UVCI:01:DE:ABC123", "co": "VN"}, "Văn An Nguyễn"),  # issued by DE
        ({"ci": "URN:UVCI:01:FR:ABC123", "co": "FR"}, "Văn An Nguyễn"),
        ({}, "Văn An Nguyễn"),                     # no country: the DCC's own order
    ])
    def test_the_name_is_family_first_when_a_family_first_country_issued_it(self, entry,
                                                                              shown):
        certificate = {"nam": {"fn": "Nguyễn", "gn": "Văn An"}, "v": [entry]}
        assert facts.read(certificate).name == shown

    @pytest.mark.skipif(not DGC.exists(), reason="EU DCC test data not present")
    @pytest.mark.parametrize(("case", "shown"), [
        ("HU/2DCode/raw/2.json", "Páciens János"),     # Hungary writes family names first
        ("AT/2DCode/raw/1.json", "Gabriele Musterfrau-Gößinger"),
    ])
    def test_real_certificates_keep_their_countrys_order(self, case, shown):
        assert ok(json.loads((DGC / case).read_text(encoding="utf-8"))["PREFIX"]).name == shown

    def test_a_broken_certificate_is_still_kept_as_hc1(self):
        who = ok("HC1:NOT-BASE45-AT-ALL~~")
        assert who.kind == "hc1" and who.extra["decode_error"]


class TestOther:
    @pytest.mark.parametrize("payload", [
        "https://tokhaiyte.vn/?id=123", "hello", "a|b|c", "GS1\x1d0101234", "1|2|3|4|5|6|7"])
    def test_anything_else_is_kept_raw_as_other(self, payload):
        who = ok(payload)
        assert who.kind == "other" and who.raw == payload.encode()
        assert who.subject_key.startswith("raw:")
        assert ok(payload).subject_key == who.subject_key

    def test_invalid_utf8_is_kept_as_binary(self):
        who = ok(b"\xff\xfe\x00garbage\x80")
        assert who.kind == "other" and who.extra["encoding"] == "binary"

    def test_empty_and_oversized_payloads_are_refused_with_a_reason(self):
        assert refused("").code == "empty"
        assert refused("\r\n").code == "empty"
        assert refused("9" * (QR_MAX_CHARS + 1)).code == "too_large"
        assert ok("9" * QR_MAX_CHARS).kind == "other"


@settings(max_examples=400)
@given(st.binary(max_size=2000))
def test_no_byte_string_raises(raw):
    assert isinstance(decode(raw), Identity | Rejection)


@settings(max_examples=300)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=12).map("|".join))
def test_no_pipe_separated_text_raises(text):
    assert isinstance(decode(text.encode("utf-8", "surrogatepass")), Identity | Rejection)


@settings(max_examples=50)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=30),
       st.integers(min_value=1, max_value=4))
def test_huge_text_is_refused_not_raised(chunk, factor):
    text = chunk * (QR_MAX_CHARS * factor // len(chunk) + 1)
    result = decode(text.encode("utf-8", "surrogatepass"))
    assert isinstance(result, Rejection) and result.code == "too_large"


@settings(max_examples=50)
@given(st.binary(min_size=QR_MAX_BYTES + 1, max_size=QR_MAX_BYTES + 64))
def test_huge_binary_is_refused_not_raised(raw):
    result = decode(b"\xff" + raw + b"\xff")
    assert isinstance(result, Rejection) and result.code == "too_large"


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=200))
def test_control_characters_never_raise(text):
    assert isinstance(decode(text.encode()), Identity | Rejection)


@pytest.mark.parametrize(("raw", "field", "byte"), [
    ("001099012345|123456789|Nguy\udcffn Văn An|01021990|Nam|Số 1 Phố Huế|10102021", "name",
     "0xFF"),
    ("001099012345|Nguyễn Văn An|01021990|Nam|S\udcc3 1 Phố Huế|10102021", "address", "0xC3"),
])
def test_a_cccd_with_a_byte_that_is_not_utf8_is_refused_naming_the_field_and_the_byte(
        raw: str, field: str, byte: str) -> None:
    """A misread byte or a scanner set to another code page: the person's name would be lost
    as an ``other`` code without a word, so the officer is told what is wrong instead."""
    result = decode(raw.encode("utf-8", "surrogateescape"))
    assert isinstance(result, Rejection)
    assert (result.code, result.problem, result.field, result.value) == (
        "cccd_bad_field", "not_utf8", field, byte)
    assert result.describe("en") == (
        f"{field} holds byte {byte}, which is not UTF-8 text: check that the scanner is set "
        f"to UTF-8, then scan again or enter it by hand")
    assert "không phải văn bản UTF-8" in result.describe("vi")


def test_binary_that_is_not_laid_out_as_a_cccd_is_still_kept_as_other() -> None:
    result = decode(b"\x89PNG\r\n\x1a\n\x00\xff|binary")
    assert isinstance(result, Identity) and result.kind == "other"


def folded_whole(name: str) -> str:
    """The folding rule as first written: the whole name decomposed, combining marks dropped
    (Đ and the eth, which have no decomposition, as D)."""
    import unicodedata
    name = name.translate(str.maketrans("đĐðÐ", "dDdD"))
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).upper().split())


@settings(max_examples=500)
@given(name=st.text() | st.text(alphabet="ĐđÐðNguyễnVănAnTrầnThịBìnhÅﬁ①㍿한글\u0301\u0323 \t"))
def test_names_fold_character_by_character_as_the_whole_name_folds(name):
    """Folding each character on its own (looked up once met) gives what decomposing the whole
    name gives: only combining marks move in a decomposition, and they are dropped."""
    from kiosk.payloads.identity import fold_name

    assert fold_name(name) == folded_whole(name)
    assert fold_name("Nguyễn Văn Đức") == "NGUYEN VAN DUC"


class TestManualEntry:
    """The form's rules (the pipeline's too): a foreigner is recorded by their own document and
    phone; a Vietnamese document keeps its format; a number typed to get past the form is not
    a person."""

    @pytest.mark.parametrize("number", ["AB1234567", "C01X00T47", "ab 123 4567", "K7Q2P9",
                                        "P4471982036615"])
    def test_another_countrys_document_is_taken_as_typed_and_keyed_as_the_centre_traces_it(
            self, number):
        person = decode_manual(ManualEntry("John Smith", document_number=number, foreign=True))
        assert isinstance(person, Identity), person
        cleaned = number.replace(" ", "").upper()
        assert (person.document_number, person.subject_key) == (cleaned, f"fdoc:{cleaned}")
        assert json.loads(person.raw)["foreign"] is True  # the centre sees what was chosen

    @pytest.mark.parametrize("number", ["AB1234567", "C01X00T47"])
    def test_a_foreign_document_is_not_taken_as_a_vietnamese_one(self, number):
        refused = decode_manual(ManualEntry("John Smith", document_number=number))
        assert isinstance(refused, Rejection) and refused.problem == "document_format"
        assert "Foreign document" in refused.describe("en")
        assert "Giấy tờ nước ngoài" in refused.describe("vi")

    @pytest.mark.parametrize("number", ["07930100456", "0793010045678", "0793010045",
                                        "12345670"])
    @pytest.mark.parametrize("foreign", [False, True])
    def test_digits_alone_near_a_vietnamese_length_are_refused_tick_or_not(self, number,
                                                                           foreign):
        """A CCCD (12 digits) or CMND (9) with a digit lost or doubled: recorded as another
        country's document (``fdoc:07930100456``) a trace of the real CCCD never found the
        person. Refused either way, in words that send the officer back to the document,
        never to the foreign tick."""
        refused = decode_manual(ManualEntry("Trần Thị Bình", document_number=number,
                                            foreign=foreign))
        assert isinstance(refused, Rejection)
        assert (refused.field, refused.problem) == ("document_number", "document_digits")
        assert refused.describe("en") == (
            f"document number '{number}': digits only, yet not 9 or 12 of them (a CCCD has 12, "
            "a CMND 9) — a digit lost or doubled? Read the number on the document again, "
            "digit by digit")
        assert "Giấy tờ nước ngoài" not in refused.describe("vi")

    @pytest.mark.parametrize("number", ["079301004567", "272845913", "110105194912310021",
                                        "4471982"])
    def test_digits_alone_ticked_are_another_countrys_document_keyed_apart(self, number):
        """Ticked, digits alone of 9 or 12 (a passport of 9, as a CMND has) or far from those
        lengths (a Chinese ID card's 18) are another country's document, keyed ``fdoc:``,
        never as the Vietnamese document of that number (``doc:``): a trace of a CMND's
        holder found the foreigner of the same number, and the other way round."""
        person = decode_manual(ManualEntry("Li Wei", document_number=number, foreign=True))
        assert isinstance(person, Identity), person
        assert person.subject_key == f"fdoc:{number}"
        vietnamese = decode_manual(ManualEntry("Lê Văn Tám", document_number=number))
        if isinstance(vietnamese, Identity):
            assert vietnamese.subject_key == f"doc:{number}"

    @pytest.mark.parametrize("number", ["ABCDEFG", "A1234", "AB-1234567", "A" * 5 + "1" * 16])
    def test_a_foreign_document_still_has_a_format(self, number):
        refused = decode_manual(ManualEntry("John Smith", document_number=number, foreign=True))
        assert isinstance(refused, Rejection)
        assert (refused.field, refused.problem) == ("document_number", "foreign_document_format")

    @pytest.mark.parametrize(("typed", "kept"), [("+1 202 555 0143", "+12025550143"),
                                                 ("+86 138 0013 8000", "+8613800138000"),
                                                 ("+856 20 5551 2345", "+8562055512345")])
    def test_a_foreign_phone_in_e164_is_taken(self, typed, kept):
        person = decode_manual(ManualEntry("Li Wei", phone=typed))
        assert isinstance(person, Identity), person
        assert person.extra["phone"] == kept

    def test_a_phone_typed_either_way_is_one_person_and_anothers_keeps_its_country(self):
        """The subject key goes by the phone in E.164: ``0912…`` at one point and
        ``+84 912…`` at another were two people to a trace; a number of another country
        with the same digits after its code is someone else."""
        keys = {typed: decode_manual(ManualEntry("Lò Thị Mai", phone=typed)).subject_key
                for typed in ("0912345678", "+84 912 345 678", "0912.345.678",
                              "+1 912 345 678")}
        assert len({keys["0912345678"], keys["+84 912 345 678"], keys["0912.345.678"]}) == 1
        assert keys["+1 912 345 678"] != keys["0912345678"]
        assert decode_manual(ManualEntry("LO THI MAI", phone="0912345678")).subject_key == keys[
            "0912345678"]  # the name folded, as before

    @pytest.mark.parametrize("phone", ["+84 12345", "+1 202", "+0 123456789",
                                       "+1234567890123456", "1 202 555 0143"])
    def test_a_phone_neither_vietnamese_nor_e164_is_refused(self, phone):
        refused = decode_manual(ManualEntry("Li Wei", phone=phone))
        assert isinstance(refused, Rejection) and refused.problem == "phone_format"

    @pytest.mark.parametrize(("field", "value"), [
        ("document_number", "000000000"), ("document_number", "123456789"),
        ("document_number", "111111111111"), ("document_number", "987654321"),
        ("document_number", "C0000000"), ("phone", "0000000000"), ("phone", "0123456789"),
        ("phone", "+84 000 000 000"), ("phone", "+1 111 111 1111")])
    def test_a_number_typed_to_get_past_the_form_is_refused_in_both_languages(self, field,
                                                                              value):
        refused = decode_manual(ManualEntry("Nguyễn Văn An", **{field: value}))
        assert isinstance(refused, Rejection)
        assert (refused.field, refused.problem) == (field, "made_up")
        assert "not a real number (one digit repeated, or 1-2-3…)" in refused.describe("en")
        assert "không phải số thật" in refused.describe("vi")

    def test_a_foreign_placeholder_is_refused_too(self):
        refused = decode_manual(ManualEntry("John Smith", document_number="X000000",
                                            foreign=True))
        assert isinstance(refused, Rejection) and refused.problem == "made_up"

    @pytest.mark.parametrize(("field", "value"), [
        ("document_number", "001099012345"), ("document_number", "079301004567"),
        ("document_number", "B7654321"), ("phone", "0912345678"), ("phone", "0900000101"),
        ("phone", "+84 912 345 678"), ("phone", "0999999999"), ("phone", "0987654321")])
    def test_real_looking_numbers_pass(self, field, value):
        """A mobile of one digit or a run is sold by the carriers (số đẹp): a real person's."""
        assert isinstance(decode_manual(ManualEntry("Nguyễn Văn An", **{field: value})),
                          Identity)
