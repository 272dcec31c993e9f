"""The dashboard's Tracing form refuses a margin it cannot use — not a whole number of
minutes in ASCII digits (``inf``, ``nan``, ``1e309``, ``7.5``, ``-1``, ``١٥``: the rule of
``kiosk-central trace --margin`` and of the API's JSON integers), or beyond 24 hours (their
range) — with the page's worded refusal
(422, as for every field of the form the page refuses) in the reader's language, runs no
trace and records none. A real `kiosk-central serve` on SQLite, a tracer signed in over
HTTP. The trace API refuses a reason that is not a string the same way (422, named)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from central_support import central
from markupsafe import escape
from web_support import Centre, csrf, signed_in, start_centre

NOT_MINUTES = {"vi": "khoảng đệm: cần một số phút nguyên, ví dụ 15",
               "en": "margin: expected a whole number of minutes, e.g. 15"}
OUT_OF_RANGE = {"vi": "khoảng đệm: cần từ 0 đến 24 giờ", "en": "margin: expected 0 to 24 hours"}


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    running = start_centre(tmp_path_factory.mktemp("tracing-form"))
    try:
        yield running
    finally:
        running.server.stop()


def traces(db: str) -> list[dict]:
    return json.loads(central("audit", "list", "--db", db, "--kind", "trace", "--json").stdout)


@pytest.mark.parametrize("path", ["/tracing", "/tracing/export?format=csv"])
def test_a_margin_not_finite_or_out_of_range_is_refused_worded(centre: Centre,
                                                               path: str) -> None:
    logged = len(traces(centre.db))
    with signed_in(centre.url, "tracer1") as tracer:
        for lang in ("vi", "en"):
            tracer.get(f"/lang/{lang}")
            for margin, said in (("inf", NOT_MINUTES), ("-inf", NOT_MINUTES),
                                 ("nan", NOT_MINUTES), ("NaN", NOT_MINUTES),
                                 ("infinity", NOT_MINUTES), ("1e309", NOT_MINUTES),
                                 ("abc", NOT_MINUTES), ("15m", NOT_MINUTES),
                                 ("7.5", NOT_MINUTES), ("15.0", NOT_MINUTES),
                                 ("1e9", NOT_MINUTES), ("-1", NOT_MINUTES),
                                 ("+15", NOT_MINUTES), ("١٥", NOT_MINUTES),
                                 ("1441", OUT_OF_RANGE), ("99999", OUT_OF_RANGE)):
                answer = tracer.post(path, data={
                    "csrf_token": csrf(tracer.get("/tracing").text),
                    "document": "001099000101", "margin": margin, "reason": "ca bệnh F0-9001"})
                assert answer.status_code == 422, (margin, answer.status_code)
                assert f'<p class="error" role="alert">{said[lang]}</p>' in answer.text, margin
                assert "001099000102" not in answer.text  # no contact shown: no trace run
    assert len(traces(centre.db)) == logged
    with signed_in(centre.url, "tracer1") as tracer:  # the range's ends are margins
        for margin in ("0", "1440", " 30 ", ""):
            answer = tracer.post("/tracing", data={
                "csrf_token": csrf(tracer.get("/tracing").text),
                "document": "001099000101", "margin": margin, "reason": "ca bệnh F0-9001"})
            assert answer.status_code == 200, (margin, answer.text[:300])
    assert len(traces(centre.db)) == logged + 4


def test_a_trace_api_reason_or_setting_of_the_wrong_type_is_refused_naming_it(
        centre: Centre) -> None:
    """``POST /api/v1/trace`` with a reason that is not a string (a number, a list, an
    object) answers 422 naming it (``trace.strings``), runs no trace and records none;
    before, the reason reached the audit check as it was and the server answered 500
    (AttributeError: 'int' object has no attribute 'split')."""
    logged = len(traces(centre.db))
    with signed_in(centre.url, "tracer1") as tracer:
        token = csrf(tracer.get("/tracing").text)
        for reason in (12345, ["ca", "bệnh"], {"case": "F0-9001"}, True):
            answer = tracer.post("/api/v1/trace", headers={"X-CSRF-Token": token},
                                 json={"document": "001099000101", "reason": reason})
            assert answer.status_code == 422, (reason, answer.status_code, answer.text[:200])
            assert answer.json() == {
                "error": "document, name, birth_year, reason: expected strings",
                "code": "trace.strings", "params": {}}, reason
            assert "001099000102" not in answer.text
    assert len(traces(centre.db)) == logged


def test_a_trace_api_answer_is_never_stored_by_a_cache(centre: Centre) -> None:
    """The trace over the API names people (contacts' names, document numbers, phones): its
    answer says ``Cache-Control: no-store``, as the Tracing page and its exports do (and the
    counts-only report JSON); before, it said nothing of caching."""
    with signed_in(centre.url, "tracer1") as tracer:
        answer = tracer.post("/api/v1/trace", json={
            "document": "001099000101", "reason": "ca bệnh F0-9001"},
            headers={"X-CSRF-Token": csrf(tracer.get("/tracing").text)})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["contacts"], "the sample trace names no contact: nothing to protect"
    assert answer.headers.get("cache-control") == "no-store"


def test_an_export_asks_who_is_asking_before_it_judges_the_format(centre: Centre) -> None:
    """``POST /tracing/export?format=…``: someone not signed in, or signed in without the
    tracer role, gets the same answer whatever the format (a redirect to the login, 403);
    before, an unknown or missing format answered 404 (FastAPI's 422 JSON when missing)
    ahead of the role check, so anyone could learn which formats exist. A tracer asking for
    a format there is not is told which there are (400, in the reader's language), and no
    trace is run or recorded."""
    logged = len(traces(centre.db))
    formats = ("csv", "bogus", "")
    paths = [f"/tracing/export?format={f}" if f else "/tracing/export" for f in formats]
    with httpx.Client(base_url=centre.url, timeout=30) as stranger:
        answers = [stranger.post(path, data={"document": "001099000101"}) for path in paths]
    assert [(a.status_code, a.headers["location"].partition("?")[0]) for a in answers] == [
        (303, "/login")] * 3
    for who in ("viewer1", "dx.officer", "admin1"):
        with signed_in(centre.url, who) as user:
            token = csrf(user.get("/login").text)
            answers = [user.post(path, data={"csrf_token": token, "document": "001099000101",
                                             "reason": "ca bệnh F0-9001"}) for path in paths]
        if who == "admin1":  # an admin may trace: csv is exported, the others said
            assert [a.status_code for a in answers] == [200, 400, 400], who
        else:
            assert [a.status_code for a in answers] == [403] * 3, who
            assert len({reason(a.text) for a in answers}) == 1, who
    with signed_in(centre.url, "tracer1") as tracer:
        for lang, said in (("vi", "Địa chỉ trang không dùng được: format phải là một trong "
                                  "csv, xlsx, nhận được {got}."),
                           ("en", "The page's address cannot be used: format must be one of "
                                  "csv, xlsx, got {got}.")):
            tracer.get(f"/lang/{lang}")
            for path, got in ((paths[1], "'bogus'"), (paths[2], "''")):
                answer = tracer.post(path, data={
                    "csrf_token": csrf(tracer.get("/tracing").text),
                    "document": "001099000101", "reason": "ca bệnh F0-9001"})
                assert answer.status_code == 400, (path, answer.status_code)
                assert f'<p id="bad-request">{escape(said.format(got=got))}</p>' in answer.text
    assert len(traces(centre.db)) == logged + 1  # the admin's csv, nothing else


def reason(page: str) -> str:
    return re.search(r'<p class="error" id="forbidden-reason">(.*?)</p>', page).group(1)


def test_the_settings_a_trace_shows_are_taken_back_unchanged(centre: Centre) -> None:
    """What a trace shows of its settings can be sent back as it is: the API's ``settings``
    posted again with the same request trace again with the same settings (the contacts
    traced onward, ``second_degree``, among them: before, it was left out, and a trace sent
    back lost its second degree), and the margin the page and its CSV export show can be
    typed into the form. Before, every setting came
    back as a decimal (``15.0``, ``120.0``, ``720.0``, ``300.0``), which the API (JSON
    integers) and the form (whole minutes) refuse; they still refuse ``15.5``, worded."""
    logged = len(traces(centre.db))
    asked = {"document": "001099000101", "reason": "ca bệnh F0-9001"}
    with signed_in(centre.url, "tracer1") as tracer:
        headers = {"X-CSRF-Token": csrf(tracer.get("/tracing").text)}
        first = tracer.post("/api/v1/trace",
                            json={**asked, "margin_minutes": 30, "second_degree": 1},
                            headers=headers)
        assert first.status_code == 200, first.text[:300]
        shown = first.json()["settings"]
        again = tracer.post("/api/v1/trace", json={**asked, **shown}, headers=headers)
        assert again.status_code == 200, again.text[:300]
        assert '"settings":{"margin_minutes":30,"default_stay_minutes":120,' \
            '"max_stay_minutes":720,"repeat_window_seconds":300,"second_degree":1}' in first.text
        assert again.json()["settings"] == shown
        assert again.json()["contacts"] == first.json()["contacts"]
        assert again.json()["second_degree"] == first.json()["second_degree"] != []
        nonsense = tracer.post("/api/v1/trace", json={**asked, "margin_minutes": 15.5},
                               headers=headers)
        assert nonsense.status_code == 422
        assert nonsense.json()["code"] == "trace.whole_number"

        tracer.get("/lang/en")
        token = csrf(tracer.get("/tracing").text)
        exported = tracer.post("/tracing/export?format=csv",
                               data={"csrf_token": token, **asked, "margin": "30"})
        rows = exported.content.decode("utf-8-sig").splitlines()
        assert "margin_minutes / settings,30" in rows
        assert "repeat_window_seconds / settings,300" in rows
        assert "second_degree / settings,0" in rows
        page = tracer.post("/tracing", data={"csrf_token": token, **asked, "margin": "30"})
        margin = re.search(r'<input type="number" name="margin"[^>]* value="([^"]*)"',
                           page.text)[1]
        assert margin == "30"
        resent = tracer.post("/tracing", data={"csrf_token": token, **asked, "margin": margin})
        assert resent.status_code == 200, resent.text[:300]
        refused = tracer.post("/tracing", data={"csrf_token": token, **asked, "margin": "15.5"})
        assert refused.status_code == 422
        assert f'<p class="error" role="alert">{NOT_MINUTES["en"]}</p>' in refused.text
    assert len(traces(centre.db)) == logged + 5  # two over the API, the export, the page twice


def test_a_number_of_other_scripts_digits_is_refused_worded(centre: Centre) -> None:
    """``str.isalnum`` takes superscript digits, and the trace of a number never scanned in
    full then read its last 6 with ``int``: ValueError, and the page answered 500. It is
    refused in words as any other bad number, and no trace is run or recorded."""
    logged = len(traces(centre.db))
    with signed_in(centre.url, "tracer1") as tracer:
        tracer.get("/lang/en")
        answer = tracer.post("/tracing", data={
            "csrf_token": csrf(tracer.get("/tracing").text),
            "document": "079000²²²²²²", "reason": "ca bệnh F0-9001"})
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert str(escape("document number '079000²²²²²²'")) in answer.text
    assert len(traces(centre.db)) == logged


def test_the_foreign_document_box_traces_the_foreign_document_and_stays_ticked(
        centre: Centre) -> None:
    """«Giấy tờ nước ngoài» / "Foreign document" beside the number: a passport numbered like
    a CMND is traced as the foreign document it is (recorded so in the audit log), and the
    answer's form keeps the box ticked for the exports it offers."""
    with signed_in(centre.url, "tracer1") as tracer:
        tracer.get("/lang/en")
        form = tracer.get("/tracing").text
        assert re.search(r'<input type="checkbox" name="foreign" id="foreign" value="yes">'
                         r' Foreign document</label>', form)
        answer = tracer.post("/tracing", data={
            "csrf_token": csrf(form), "document": "272845913", "foreign": "yes",
            "reason": "ca bệnh F0-9002"})
    assert answer.status_code == 200
    assert 'id="foreign" value="yes" checked>' in answer.text
    assert '<input type="hidden" name="foreign" value="yes">' in answer.text
    assert traces(centre.db)[0]["subject"] == "foreign document 272845913"


SECOND_DEGREE = {"vi": ("tiếp xúc bậc hai: cần một số người nguyên, ví dụ 5",
                        "tiếp xúc bậc hai: cần từ 0 đến 20 người"),
                 "en": ("second degree: expected a whole number of contacts, e.g. 5",
                        "second degree: expected 0 to 20 contacts")}


def test_a_second_degree_not_a_whole_number_to_20_is_refused_worded(centre: Centre) -> None:
    """The Tracing form's second degree (contacts traced onward, as `kiosk-central trace
    --second-degree`) is a whole number in digits 0-9 from 0 to 20: anything else is refused
    in the reader's language (422), nothing traced and nothing recorded."""
    logged = len(traces(centre.db))
    with signed_in(centre.url, "tracer1") as tracer:
        for lang in ("vi", "en"):
            tracer.get(f"/lang/{lang}")
            not_count, out_of_range = SECOND_DEGREE[lang]
            for count, said in (("abc", not_count), ("2.5", not_count), ("-1", not_count),
                                ("٣", not_count), ("21", out_of_range)):
                answer = tracer.post("/tracing", data={
                    "csrf_token": csrf(tracer.get("/tracing").text),
                    "document": "001099000101", "second_degree": count,
                    "reason": "ca bệnh F0-9001"})
                assert answer.status_code == 422, (count, answer.status_code)
                assert f'<p class="error" role="alert">{said}</p>' in answer.text, count
    assert len(traces(centre.db)) == logged
