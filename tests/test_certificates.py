"""Certificate verdicts on certificates signed here with real keys, the trust-list formats a
technician is handed, and codes built to hurt (bombs, garbage): never an exception."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import zlib

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.certificates import cose, trustlist, verdicts
from kiosk.certificates.trustlist import TrustListError
from tests.certificate_support import (
    DGC,
    encode_base45,
    lab_test,
    make_issuer,
    trust_list_of,
    vaccination,
    vectors,
)

NOW = time.time()
DAY = 86400


@pytest.fixture(scope="module")
def issuer():
    return make_issuer()


@pytest.fixture(scope="module")
def trusted(issuer):
    return trust_list_of(issuer.der)


def verdict(text, trust_list, now=NOW, max_age=None):
    return verdicts.check(text, trust_list, now=now, max_age=max_age)


def saved_and_read_back(trust_list, folder):
    """``trust_list`` as the kiosk holds it: saved to its own file, then read from it."""
    trustlist.save(trust_list, folder / "trust-list.json")
    return trustlist.load(folder / "trust-list.json")


def assert_too_old_at_any_age_allowed(code, held, stamped):
    """Checked against ``held`` (a list of unknown age, stamped ``stamped`` by a wrong clock),
    ``code`` is "trust list too old" whether 7 days or a century are allowed, and the
    technician reads why and what to do."""
    for days in (7, 36500):
        stale = verdict(code, held, max_age=dt.timedelta(days=days))
        assert stale.status == verdicts.TRUST_LIST_STALE
        assert stale.detail == (f"trust list imported at {stamped} by a wrong clock, age "
                                f"unknown (at most {days} days allowed): import it again")


class TestVerdicts:
    def test_a_genuine_current_vaccination_is_valid_with_its_facts(self, issuer, trusted):
        code = issuer.sign(vaccination(2, 2), issued=NOW - DAY, expires=NOW + 30 * DAY)
        result = verdict(code, trusted)
        assert result.status == verdicts.VALID and result.severity == verdicts.GOOD
        assert result.kind == "vaccination"
        assert result.facts["dose"] == 2 and result.facts["doses"] == 2
        assert result.facts["name"] == "Nguyễn Văn An"
        assert result.facts["birth_date"] == "1990-02-01"
        assert result.issuer == "VN" and result.signer_country == "VN"
        assert result.kid == base64.b64encode(issuer.kid).decode()

    def test_pss_signatures_from_an_rsa_signer_verify(self):
        rsa_issuer = make_issuer(rsa_key=True)
        code = rsa_issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        assert verdict(code, trust_list_of(rsa_issuer.der)).status == verdicts.VALID

    def test_one_changed_byte_of_any_real_certificates_signature_is_caught(self):
        for vector in vectors():
            message = cose.parse_sign1(bytes.fromhex(vector.data["COSE"]))
            broken = bytearray(message.signature)
            broken[len(broken) // 2] ^= 0x01
            forged = cose.Sign1(message.protected, message.protected_header,
                                message.unprotected_header, message.payload, bytes(broken))
            result = verdicts.judge(forged, trust_list_of(vector.signer_der), now=vector.clock)
            assert result.status == verdicts.BAD_SIGNATURE, vector.name

    def test_a_changed_claim_under_a_real_signature_is_caught(self, issuer, trusted):
        code = issuer.sign(vaccination(1, 2), issued=NOW - DAY, expires=NOW + DAY)
        message = cose.unpack(code)
        claims = cbor2.loads(message.payload)
        claims[-260][1]["v"][0]["dn"] = 2  # "1 of 2" edited into "2 of 2"
        forged = cose.Sign1(message.protected, message.protected_header,
                            message.unprotected_header, cbor2.dumps(claims), message.signature)
        assert verdicts.judge(forged, trusted, now=NOW).status == verdicts.BAD_SIGNATURE

    def test_a_signer_not_in_the_list_is_an_unknown_issuer(self, trusted):
        stranger = make_issuer(country="XX")
        code = stranger.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        result = verdict(code, trusted)
        assert result.status == verdicts.UNKNOWN_ISSUER and result.severity == verdicts.BAD
        assert result.facts["name"]  # what it claims is still shown, marked by the verdict

    def test_a_key_id_copied_from_a_trusted_signer_does_not_help_a_forger(self, issuer,
                                                                         trusted):
        forger = make_issuer()
        code = forger.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY, kid=issuer.kid)
        assert verdict(code, trusted).status == verdicts.BAD_SIGNATURE

    def test_an_algorithm_other_than_es256_or_ps256_is_refused(self, issuer, trusted):
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY, alg=-35)
        result = verdict(code, trusted)
        assert result.status == verdicts.BAD_SIGNATURE and "not ES256 or PS256" in result.detail

    def test_ps256_claimed_over_an_ec_key_is_refused(self, issuer, trusted):
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY, alg=-37)
        assert verdict(code, trusted).status == verdicts.BAD_SIGNATURE

    def test_expired_and_not_yet_valid_follow_the_kiosks_clock(self, issuer, trusted):
        code = issuer.sign(vaccination(), issued=NOW - 10 * DAY, expires=NOW - DAY)
        assert verdict(code, trusted).status == verdicts.EXPIRED
        assert verdict(code, trusted, now=NOW - 2 * DAY).status == verdicts.VALID
        assert verdict(code, trusted, now=NOW - 11 * DAY).status == verdicts.NOT_YET_VALID
        assert verdict(code, trusted).severity == verdicts.WARN

    def test_a_trust_list_older_than_allowed_is_said_so(self, issuer):
        old = trust_list_of(issuer.der,
                            imported_at=dt.datetime.fromtimestamp(NOW - 9 * DAY, dt.UTC))
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        stale = verdict(code, old, max_age=dt.timedelta(days=7))
        assert stale.status == verdicts.TRUST_LIST_STALE and "9 days" in stale.detail
        assert verdict(code, old, max_age=dt.timedelta(days=14)).status == verdicts.VALID

    def test_a_trust_list_imported_by_a_clock_at_1970_is_of_unknown_age_so_too_old(
            self, issuer, tmp_path):
        """The kiosk's own file, saved while the clock read 1970: however recent it looks
        to no one, its age is unknown and it may miss every revocation since, so nothing
        checked against it is "valid" (any allowed age), and the technician reads why."""
        held = saved_and_read_back(trust_list_of(issuer.der, imported_at=dt.datetime(
            1970, 1, 1, 0, 5, tzinfo=dt.UTC)), tmp_path)
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        assert_too_old_at_any_age_allowed(code, held, "1970-01-01 00:05Z")
        assert verdict(code, held).status == verdicts.VALID  # no age limit set

    def test_a_trust_list_imported_by_a_clock_ahead_is_of_unknown_age_so_too_old(
            self, issuer, tmp_path):
        """The mirror of 1970: the list stamped while the clock ran years ahead (2056: an
        RTC or GPS rollover), the clock right now. Its import time is later than now, so
        its age is unknown, and it may miss every signer revoked since: too old, not
        "age unknown, still used" until 2056. The clock wrong *now* (it reads 1970) is not
        the list's fault: then its age is unknown and it is still used."""
        held = saved_and_read_back(trust_list_of(issuer.der, imported_at=dt.datetime(
            2056, 6, 1, tzinfo=dt.UTC)), tmp_path)
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        assert_too_old_at_any_age_allowed(code, held, "2056-06-01 00:00Z")
        assert held.too_old(dt.timedelta(days=7)) is True
        at_1970 = dt.datetime(1970, 1, 2, tzinfo=dt.UTC)
        assert held.too_old(dt.timedelta(days=7), at_1970) is None  # the clock wrong now
        right = trust_list_of(issuer.der)  # just now, after the scan read at NOW: current
        assert verdict(code, right, max_age=dt.timedelta(days=7)).status == verdicts.VALID

    def test_without_a_trust_list_nothing_is_called_valid(self, issuer):
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        result = verdict(code, None)
        assert result.status == verdicts.NO_TRUST_LIST and not result.signature_verified

    def test_a_signer_limited_to_tests_may_not_sign_vaccinations(self):
        lab = make_issuer(usages=("test",))
        trust_list = trust_list_of(lab.der)
        vacc = lab.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        negative = lab.sign(lab_test(), issued=NOW - DAY, expires=NOW + DAY)
        assert verdict(vacc, trust_list).status == verdicts.WRONG_KIND
        assert verdict(negative, trust_list).status == verdicts.VALID

    def test_a_positive_test_is_never_green(self, issuer, trusted):
        code = issuer.sign(lab_test(detected=True), issued=NOW - DAY, expires=NOW + DAY)
        result = verdict(code, trusted)
        assert result.status == verdicts.POSITIVE_TEST and result.severity == verdicts.BAD
        assert result.facts["result"] == "detected"

    def test_a_forgers_novel_of_a_name_is_cut_in_the_verdict(self, trusted):
        forger = make_issuer()
        code = forger.sign(vaccination(name=("X" * 1500, "Y")), issued=NOW - DAY,
                           expires=NOW + DAY)
        result = verdict(code, trusted)
        assert len(result.facts["name"]) == verdicts.MAX_FACT_CHARS
        assert len(json.dumps(result.to_record())) < 2000

    def test_the_record_is_json_for_the_store_and_the_wire(self, issuer, trusted):
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        record = verdict(code, trusted).to_record()
        assert json.loads(json.dumps(record)) == record
        assert record["status"] == "valid" and record["facts"]["dose"] == 2


class TestBounds:
    def test_more_characters_than_a_qr_code_holds_is_refused_before_decoding(self):
        result = verdict("HC1:" + "0" * cose.MAX_QR_CHARS, None)
        assert result.status == verdicts.UNREADABLE and "base45" in result.detail

    def test_a_zlib_bomb_stops_at_the_bound(self):
        bomb = zlib.compress(b"\x00" * 2_500_000, 9)
        code = "HC1:" + encode_base45(bomb)
        assert len(code) <= cose.MAX_QR_CHARS  # it fits in one QR code…
        result = verdict(code, None)
        assert result.status == verdicts.UNREADABLE
        assert "inflates to more than" in result.detail  # …and is refused, not inflated

    def test_a_truncated_or_broken_zlib_stream_is_unreadable(self, issuer):
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        raw = cose.base45.decode(code[4:], max_chars=cose.MAX_QR_CHARS)
        for damaged in (raw[:-10], raw[:2] + bytes(b ^ 0x55 for b in raw[2:])):
            result = verdict("HC1:" + encode_base45(damaged), None)
            assert result.status == verdicts.UNREADABLE and result.detail.startswith("zlib")

    @pytest.mark.parametrize(("text", "stage"), [
        ("HC1:", "cose"), ("HC1:A", "base45"), ("HC1:ÀÀÀ", "base45"), ("HC1:GGW", "base45"),
        ("HC1:" + encode_base45(cbor2.dumps([1, 2, 3])), "cose"),
        ("HC1:" + encode_base45(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"\xa0", b""]))),
         "cwt"),
    ])
    def test_broken_layers_are_named(self, text, stage):
        result = verdict(text, None)
        assert result.status == verdicts.UNREADABLE and result.detail.startswith(stage)

    @settings(max_examples=300)
    @given(st.binary(max_size=600))
    def test_no_bytes_behind_the_prefix_raise(self, data):
        for body in (data, zlib.compress(data)):
            assert verdict("HC1:" + encode_base45(body), None).status in verdicts.STATUSES

    @settings(max_examples=200)
    @given(st.recursive(st.none() | st.integers() | st.binary(max_size=8) | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.integers(-300, 10) | st.text(max_size=3), inner,
                                          max_size=4), max_leaves=20))
    def test_no_cbor_structure_inside_a_signed_message_raises(self, claims):
        message = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -7}), {}, cbor2.dumps(claims),
                                                 b"\x00" * 64]))
        code = "HC1:" + encode_base45(zlib.compress(message))
        assert verdict(code, None).status in verdicts.STATUSES


class TestTrustListFiles:
    def test_gateway_list_national_dsc_list_and_own_file_agree(self, tmp_path, issuer):
        other = make_issuer(rsa_key=True, country="DE")
        items = [{"kid": base64.b64encode(i.kid).decode(), "country": c, "certificateType": "DSC",
                  "rawData": base64.b64encode(i.der).decode()} for i, c in ((issuer, "VN"),
                                                                            (other, "DE"))]
        gateway = tmp_path / "gateway.json"
        gateway.write_text(json.dumps(items))
        national = tmp_path / "dsc-list"
        national.write_text("MEUCIQDsignatureline==\n" + json.dumps({"certificates": items}))
        for path in (gateway, national):
            loaded = trustlist.load(path)
            assert len(loaded) == 2 and loaded.countries() == {"DE": 1, "VN": 1}
            assert loaded.find(issuer.kid)[0].der == issuer.der
        saved = tmp_path / "kiosk-trust-list.json"
        first = trustlist.load(gateway, now=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
        trustlist.save(first, saved)
        again = trustlist.load(saved)
        assert again.imported_at == first.imported_at  # age counts from the first import
        assert {k: [s.der for s in v] for k, v in again.signers.items()} == {
            k: [s.der for s in v] for k, v in first.signers.items()}

    def test_a_pem_folder_is_keyed_like_the_gateway(self, tmp_path, issuer):
        (tmp_path / "vn.pem").write_bytes(issuer.pem)
        (tmp_path / "notes.txt").write_text("ignored")
        loaded = trustlist.load(tmp_path)
        assert list(loaded.signers) == [issuer.kid]

    def test_the_kiosks_own_file_loads_without_parsing_and_a_damaged_entry_is_unknown(
            self, tmp_path, issuer):
        path = tmp_path / "trust-list.json"
        trustlist.save(trust_list_of(issuer.der), path)
        document = json.loads(path.read_text())
        document["trustList"][0]["rawData"] = base64.b64encode(b"not a cert").decode()
        path.write_text(json.dumps(document))
        damaged = trustlist.load(path)  # loads: entries are parsed when first used
        assert damaged.find(issuer.kid)
        code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
        result = verdict(code, damaged)
        assert result.status == verdicts.UNKNOWN_ISSUER and "unusable" in result.detail

    def test_every_vector_signer_loads_even_with_der_slips(self):
        ders = {v.signer_der for v in vectors()}
        loaded = trust_list_of(*ders)
        assert len(loaded) == len(ders)

    def test_items_that_are_not_dscs_are_skipped_with_a_reason(self, tmp_path, issuer):
        items = [{"certificateType": "CSCA", "rawData": "AAAA"},
                 {"kid": "!!", "rawData": base64.b64encode(issuer.der).decode()},
                 {"rawData": base64.b64encode(issuer.der).decode()}]
        path = tmp_path / "list.json"
        path.write_text(json.dumps(items))
        loaded = trustlist.load(path)
        assert len(loaded) == 1
        assert loaded.skipped[0]("en") == "item 0: certificateType 'CSCA' is not a document " \
            "signer (DSC)"
        assert loaded.skipped[1]("vi") == "mục 1: kid: không phải base64"

    @pytest.mark.parametrize(("content", "why"), [
        (b"", "neither JSON nor PEM"), (b"{}", "expected a list"),
        (b'[{"rawData": "AAAA"}]', "no usable certificate"),
        (b"\xff\xfe garbage", "neither JSON nor PEM"),
    ])
    def test_a_file_that_is_not_a_trust_list_is_refused_by_name(self, tmp_path, content, why):
        path = tmp_path / "bad.json"
        path.write_bytes(content)
        with pytest.raises(TrustListError, match=why):
            trustlist.load(path)

    def test_a_missing_file_and_an_empty_folder_are_named(self, tmp_path):
        with pytest.raises(TrustListError, match="file not found"):
            trustlist.load(tmp_path / "nope.json")
        with pytest.raises(TrustListError, match=r"no \.pem"):
            trustlist.load(tmp_path)


def test_vectors_are_present_when_the_shared_data_is():
    assert not DGC.exists() or len(vectors()) > 100
