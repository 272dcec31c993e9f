"""HC1 scans through the real pipeline and store: the verdict is decided in the same step,
stored with the entry, and under ``require-valid`` a certificate that is not valid is refused."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time

import pytest

from kiosk import store as store_mod
from kiosk.app import certificate_checker, policy_from
from kiosk.certificates import trustlist, verdicts
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan, Status
from kiosk.store import Store
from tests.certificate_support import make_issuer, trust_list_of, vaccination
from tests.conftest import CCCD_AN, make_config

NOW = time.time()
DAY = 86400


@pytest.fixture(scope="module")
def issuer():
    return make_issuer()


@pytest.fixture
def kiosk_parts(tmp_path, issuer):
    """A pipeline built as the kiosk builds it, its trust list file holding ``issuer``."""
    opened = []

    def build(policy: str = "record"):
        config = make_config(tmp_path, certificates={"policy": policy})
        trustlist.save(trust_list_of(issuer.der), config.trust_list_path)
        store = Store(config.store_path)
        opened.append(store)
        return Pipeline(store, policy_from(config), certificate_checker(config)), store, config

    yield build
    for s in opened:
        s.close()


def scan(pipeline, code):
    return pipeline.submit(Scan(payload=code.encode(), device_id="cam", lane="in"))


def stored_certificate(store, entry_id):
    row = store.conn.execute("SELECT certificate FROM entries WHERE id = ?",
                             (entry_id,)).fetchone()
    return json.loads(row[0]) if row[0] else None


def test_a_valid_certificate_is_recorded_with_its_verdict(kiosk_parts, issuer):
    pipeline, store, _ = kiosk_parts()
    result = scan(pipeline, issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY))
    assert result.status is Status.ACCEPTED and result.certificate.valid
    saved = stored_certificate(store, result.entry_id)
    assert saved["status"] == "valid" and saved["facts"]["dose"] == 2
    assert saved["kind"] == "vaccination" and saved["signer_country"] == "VN"


def test_under_record_a_forged_certificate_is_recorded_and_flagged(kiosk_parts):
    pipeline, store, _ = kiosk_parts()
    forger = make_issuer(country="ZZ")
    result = scan(pipeline, forger.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY))
    assert result.status is Status.ACCEPTED and result.recorded
    assert result.certificate.status == verdicts.UNKNOWN_ISSUER
    assert stored_certificate(store, result.entry_id)["status"] == "unknown_issuer"


def test_a_forged_certificate_in_a_real_holders_name_moves_only_itself(kiosk_parts, issuer):
    """Anyone can sign a certificate carrying a real person's names and birth date. Inside
    on their genuine one, that person must not be recorded going out when someone shows the
    forgery at an automatic lane, nor be its duplicate: a certificate that proves nothing
    about its holder is keyed by the code itself (as one that does not unpack is), not by
    the names written in it."""
    pipeline, store, _ = kiosk_parts()
    genuine = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
    forged = make_issuer().sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)

    def auto(code: str, at: float):
        return pipeline.submit(Scan(payload=code.encode(), device_id="cam", lane="auto",
                                    wall_time=at))

    holder = auto(genuine, NOW - 1800)
    forgery = auto(forged, NOW)
    assert forgery.certificate.status == verdicts.UNKNOWN_ISSUER
    assert (holder.direction.value, forgery.direction.value) == ("in", "in")
    assert forgery.status is Status.ACCEPTED
    assert store.inside_count(pipeline.policy.checkpoint_id) == 2
    again = auto(forged, NOW + 60)  # the same forgery shown again is still its duplicate
    assert again.status is Status.DUPLICATE
    subjects = dict(store.conn.execute("SELECT id, subject_key FROM entries").fetchall())
    assert subjects[holder.entry_id].startswith("hc1:")
    assert subjects[forgery.entry_id] == subjects[again.entry_id] != subjects[holder.entry_id]


def test_under_require_valid_an_expired_certificate_is_refused_and_not_recorded(kiosk_parts,
                                                                                issuer):
    pipeline, store, _ = kiosk_parts("require-valid")
    code = issuer.sign(vaccination(), issued=NOW - 9 * DAY, expires=NOW - DAY)
    result = scan(pipeline, code)
    assert result.status is Status.REJECTED and not result.recorded
    assert result.reason_code == "certificate_not_valid"
    assert result.certificate.status == verdicts.EXPIRED
    assert "HẾT HẠN" in result.reason_in("vi")
    assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 0
    refused = store.conn.execute("SELECT reason_code, detail FROM refused_scans").fetchall()
    assert refused == [("certificate_not_valid", "EXPIRED")]
    fresh = scan(pipeline, issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY))
    assert fresh.status is Status.ACCEPTED


def test_under_require_valid_going_out_is_recorded_whatever_the_certificate(kiosk_parts,
                                                                           issuer):
    """Refusing a certificate keeps its holder out; it must not keep them "inside": a person
    whose certificate expired while inside is recorded leaving (at an automatic lane and at
    an exit), never recorded entering on it, and "inside now" comes back to 0."""
    pipeline, store, _ = kiosk_parts("require-valid")
    checkpoint = pipeline.policy.checkpoint_id
    code = issuer.sign(vaccination(), issued=NOW - 9 * DAY, expires=NOW - 600).encode()

    def at(lane: str, when: float):
        return pipeline.submit(Scan(payload=code, device_id="cam", lane=lane, wall_time=when,
                                    monotonic_ns=int(when * 1e9)))  # both clocks run on

    came_in = at("auto", NOW - 1200)  # valid still
    assert came_in.status is Status.ACCEPTED and came_in.direction.value == "in"
    assert store.inside_count(checkpoint) == 1
    went_out = at("auto", NOW)  # expired 10 minutes ago
    assert went_out.status is Status.ACCEPTED and went_out.recorded
    assert went_out.direction.value == "out"
    assert went_out.certificate.status == verdicts.EXPIRED
    assert stored_certificate(store, went_out.entry_id)["status"] == "expired"
    assert store.inside_count(checkpoint) == 0

    back_in = at("auto", NOW + 400)  # out last, 400 s ago: this one would go in
    assert back_in.status is Status.REJECTED and not back_in.recorded
    assert back_in.reason_in("vi").startswith("Chứng nhận không hợp lệ, không ghi VÀO")
    assert back_in.reason_in("en").startswith("Certificate not valid, not recorded going IN")
    assert at("in", NOW + 460).status is Status.REJECTED
    exit_lane = at("out", NOW + 520)
    assert exit_lane.recorded and exit_lane.direction.value == "out"
    assert store.conn.execute("SELECT direction FROM entries ORDER BY id").fetchall() == [
        ("in",), ("out",), ("out",)]
    assert store.conn.execute("SELECT count(*) FROM refused_scans").fetchone()[0] == 2
    assert store.inside_count(checkpoint) == 0


def test_a_trust_list_written_while_running_applies_from_the_next_scan(kiosk_parts):
    pipeline, _, config = kiosk_parts()
    newcomer = make_issuer(country="LA")
    code = newcomer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
    assert scan(pipeline, code).certificate.status == verdicts.UNKNOWN_ISSUER
    trustlist.save(trust_list_of(newcomer.der), config.trust_list_path)
    assert scan(pipeline, code).certificate.status == verdicts.VALID


def test_a_broken_trust_list_file_keeps_the_list_in_use(kiosk_parts, issuer):
    pipeline, _, config = kiosk_parts()
    code = issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY)
    assert scan(pipeline, code).certificate.valid
    config.trust_list_path.write_text("{ half a file")
    assert scan(pipeline, code).certificate.valid


def test_without_a_trust_list_file_certificates_are_recorded_unchecked(tmp_path, issuer):
    config = make_config(tmp_path)
    store = Store(config.store_path)
    try:
        pipeline = Pipeline(store, policy_from(config), certificate_checker(config))
        result = scan(pipeline, issuer.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY))
        assert result.status is Status.ACCEPTED
        assert result.certificate.status == verdicts.NO_TRUST_LIST
        assert result.certificate.facts["name"] == "Nguyễn Văn An"
    finally:
        store.close()


def test_other_codes_carry_no_certificate(kiosk_parts):
    pipeline, store, _ = kiosk_parts("require-valid")
    result = scan(pipeline, CCCD_AN)
    assert result.status is Status.ACCEPTED and result.certificate is None
    assert stored_certificate(store, result.entry_id) is None


def test_a_version_1_database_gains_the_column_and_keeps_its_entries(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    store_mod.MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version=1")
    conn.execute("INSERT INTO entries (id, checkpoint_id, kiosk_id, device_id, direction, "
                 "status, source, scanned_at, monotonic_ns, boot_id, kind, subject_key, "
                 "payload) VALUES ('e1', 'CP', 'k', 'd', 'in', 'accepted', 'cli', "
                 "'2026-01-01T00:00:00.000000Z', 1, 'b', 'other', 'raw:1', x'00')")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert store.schema_version == len(store_mod.MIGRATIONS)
        rows = store.conn.execute("SELECT id, certificate FROM entries").fetchall()
        assert rows == [("e1", None)]
    finally:
        store.close()


def test_the_sample_config_names_a_policy_and_a_trust_list():
    from pathlib import Path

    from kiosk import config as config_mod

    config = config_mod.load(Path(__file__).resolve().parents[1] / "config.toml")
    assert config.certificates == config_mod.CertificateSettings(
        policy="record", trust_list="data/trust-list.json", max_age_days=14)
    assert dt.timedelta(days=config.certificates.max_age_days) == certificate_checker(
        config).max_age
