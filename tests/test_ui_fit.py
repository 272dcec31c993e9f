"""Every screen fits every kiosk display: 7" 800×480 up to 1920×1080, and portrait.

Each screen is laid out at each size in each state an officer meets (accepted with a long
name, already scanned, refused with the catalogue's longest reason in either language, the
store unable to save, the three certificate verdicts), and every label's text is measured
against its rectangle with QFontMetrics (tests/ui_fit.py). A window that cannot shrink to
the screen, a word cut off, two labels on top of each other or a button smaller than 9 mm
fails the test with what did not fit.
"""

from __future__ import annotations

import itertools
import time

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QScrollArea, QStyle, QStyleOptionButton
from ui_fit import fit_problems, lay_out, wrapped_lines
from ui_support import (  # noqa: F401
    list_shows_the_store,
    make_window_fixture,
    replay_device,
    settle,
    translations_built_fixture,
    with_dpi,
    write_config,
)

from kiosk import messages
from kiosk.certificates import trustlist
from kiosk.devices.registry import kinds
from kiosk.scan import Scan, ScanResult, Status
from kiosk.ui.bridge import SyncView
from kiosk.ui.result_card import READABLE_SIZES, Mark
from tests.certificate_support import make_issuer, trust_list_of, vaccination

SIZES = [(800, 480), (480, 800), (1024, 600), (600, 1024), (1280, 800), (1366, 768),
         (1920, 1080), (1080, 1920)]
PANELS = {0: "the screen's own figure (96 offscreen)", 133: '7" 800×480', 170: '7" 1024×600'}
"""``[kiosk] screen_dpi`` values: touch targets of 9 mm on these panels are 34→44, 48 and
61 px."""
PANEL_SIZES = {133: [(800, 480), (480, 800)], 170: [(1024, 600), (600, 1024)]}
"""The screens each of PANELS' DPI figures belongs to, either way up."""
LONG_NAME = "Tôn Nữ Hoàng Thị Phương Thảo Nguyễn Ngọc Bảo Khánh Linh"
REFUSAL_CODES = ("empty", "too_large", "cccd_bad_field", "pccovid_bad_field",
                 "manual_bad_field", "certificate_not_valid")
NOW, DAY = time.time(), 86400


def longest_reason(language: str) -> tuple[str, messages.Words]:
    """(code, words): the longest refusal the catalogue can word in ``language``, with its
    longest detail."""
    index = messages.LANGUAGES.index(language)
    field = max((words[index] for key, words in messages.CATALOGUE.items()
                 if key.startswith("field.")), key=len)
    detail = max((words[index] for key, words in messages.CATALOGUE.items()
                  if key.startswith("detail.")), key=len).format(
        field=field, value="Nguyễn Văn Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    texts = {code: messages.CATALOGUE[code][index].replace("{detail}", detail)
             for code in REFUSAL_CODES}
    code = max(texts, key=lambda c: len(texts[c]))
    return code, messages.Words(code, {"detail": detail})


def results(window, issuer) -> dict[str, ScanResult]:
    """One real result per state (through the pipeline), and the two no scan can provoke
    on demand (the longest reason, a failed save) built as the pipeline builds them."""
    pipeline = window.kiosk.pipeline
    person = f"001099012345|123456789|{LONG_NAME}|01021990|Nữ|Số 1 Phố Huế, Hà Nội|10102021"
    shown = {"accepted": pipeline.submit(Scan(person.encode(), device_id="t", lane="in")),
             "duplicate": pipeline.submit(Scan(person.encode(), device_id="t", lane="in")),
             "not an ID code": pipeline.submit(Scan(  # the amber card's longest words
                 b"https://example.vn/thuc-don?ban=12", device_id="t", lane="out"))}
    forger = make_issuer()
    given = "Thị Phương Thảo Ngọc Bảo Khánh"
    certificates = {  # three people: none of them a duplicate of another
        "certificate valid": issuer.sign(
            vaccination(2, 2, name=("Tôn Nữ Hoàng", given), birth="1961-01-01"),
            issued=NOW - DAY, expires=NOW + DAY),
        "certificate expired": issuer.sign(
            vaccination(1, 2, name=("Công Tằng Tôn", given), birth="1972-02-02"),
            issued=NOW - 9 * DAY, expires=NOW - DAY),
        "certificate forged": forger.sign(
            vaccination(name=("Nguyễn Phúc", given), birth="1983-03-03"),
            issued=NOW - DAY, expires=NOW + DAY, kid=issuer.kid),
    }
    for state, code in certificates.items():
        shown[state] = pipeline.submit(Scan(code.encode(), device_id="t", lane="in"))
    scan = Scan(b"x" * 40, device_id="t", lane="in")
    for language in messages.LANGUAGES:
        code, reason = longest_reason(language)
        shown[f"refused ({language})"] = ScanResult(Status.REJECTED, scan, reason_code=code,
                                                    words=reason)
    shown["cannot save"] = ScanResult(
        Status.REJECTED, scan, reason_code="storage_error",
        words=messages.Words("storage_error", {"detail": "database or disk is full "
                                                          "(SQLITE_FULL) /var/lib/kiosk.db"}))
    return shown


@pytest.mark.slow
@pytest.mark.parametrize("dpi", sorted(PANELS))
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_officer_screen_fits_every_display_in_every_state(make_window, qtbot, tmp_path,
                                                              language, dpi):
    """Every answer, with the line under today's tiles that counts the codes naming nobody
    (there: the "not an ID code" scan's)."""
    lanes = (replay_device("lan-vao", tmp_path / "queue.txt", lane="in")  # "lan-vao → IN"
             + '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\nlane = "toggle"\n')
    path = write_config(tmp_path, lanes,
                        extra='\n[certificates]\ntrust_list = "trust.json"\n')
    with_dpi(path, dpi)
    issuer = make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    window = make_window(path, language=language, start=False)
    window.set_language(language)
    shown = results(window, issuer)
    assert shown["accepted"].status is Status.ACCEPTED
    assert shown["duplicate"].status is Status.DUPLICATE
    assert shown["not an ID code"].names_nobody
    window.officer.refresh()
    qtbot.waitUntil(window.officer.not_id_count.isVisible, timeout=10000)
    failures = []
    for state, result in shown.items():
        window.officer.card.show_result(result)
        if state.startswith("certificate"):  # a verdict card, not "already scanned"
            assert window.officer.card.state.startswith("certificate"), state
        for size in SIZES:
            failures += [f"{size} {state}: {p}" for p in lay_out(window, size)]
    assert not failures, "\n".join(failures[:40])


@pytest.mark.slow
@pytest.mark.parametrize("dpi", sorted(PANELS))
@pytest.mark.parametrize("language", ["vi", "en"])
def test_manual_entry_technician_and_sync_screens_fit_every_display(make_window, qtbot,
                                                                    tmp_path, language, dpi):
    devices = (replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
               + '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\nlane = "toggle"\n')
    window = make_window(with_dpi(write_config(tmp_path, devices), dpi), language=language,
                         start=False)
    assert window.touch.pixels == {0: 44, 133: 48, 170: 61}[dpi]
    window.set_language(language)
    failures = []
    for size in SIZES:
        window.fit_to(QSize(*size))
        dialog = window.open_manual_entry()
        dialog.record()  # every field's error shown: the tallest the form gets
        settle()
        failures += [f"{size} manual entry: {p}" for p in fit_problems(dialog)]
        if dialog.width() > size[0] or dialog.height() > size[1]:
            failures.append(f"{size} manual entry is {dialog.size()}: larger than the screen")
        dialog.reject()
    window._show_technician()
    window.technician.table.selectRow(1)  # the form filled in, with its kind's options
    moved = messages.Words("config.store_moved", {  # a save not taken: shown above every tab
        "old": "/var/lib/checkpoint-kiosk/kiosk.db",
        "new": "/var/lib/checkpoint-kiosk/du-lieu-moi/kiosk.db"})
    window.technician.message.setText(messages.text(
        "config.not_applied", language, path="/etc/checkpoint-kiosk/config.toml",
        detail=moved))
    failures += [f"{size} technician: {p}" for size in SIZES for p in lay_out(window, size)]
    technician = window.technician
    technician.tabs.setCurrentWidget(technician.watch_tab)  # the wedge's capture box and its hint
    failures += [f"{size} technician, watch tab: {p}" for size in SIZES
                 for p in lay_out(window, size)]
    technician.tabs.setCurrentWidget(technician.enrol_tab)  # enrolment, mid-way
    technician.enrol._say("busy", ("enrol.offline", {  # the longest cause, with what to check
        "detail": messages.Words("sync.transport", {
            "what": messages.Words("sync.net.connection"),
            "cause": messages.Words("sync.cause.certificate", {
                "tech": "CERTIFICATE_VERIFY_FAILED: unable to get local issuer certificate"})}),
        "seconds": "15"}))
    failures += [f"{size} technician, centre tab: {p}" for size in SIZES
                 for p in lay_out(window, size)]
    technician.enrol._say("error", ("enrol.done", {  # saved, not taken: another store
        "kiosk": "ql1a-01", "checkpoint": "CP-QL1A-KM1234",
        "config": "/etc/checkpoint-kiosk/config.toml"}), ("enrol.not_applied", {"detail": moved}))
    failures += [f"{size} technician, centre tab, not applied: {p}" for size in SIZES
                 for p in lay_out(window, size)]
    technician.enrol._say("error", ("enrol.plain_http_screen", {  # the command to run instead
        "url": "http://10.8.0.1:8765",
        "command": "kiosk enrol --allow-plain-http --config /etc/checkpoint-kiosk/config.toml "
                   "--code -"}))
    failures += [f"{size} technician, centre tab, plain http: {p}" for size in SIZES
                 for p in lay_out(window, size)]
    technician.tabs.setCurrentWidget(technician.checks_tab)  # runs `kiosk doctor`
    qtbot.waitUntil(lambda: technician.checks.lines.count() > 0, timeout=30000)
    failures += [f"{size} technician, check tab: {p}" for size in SIZES
                 for p in lay_out(window, size)]
    window._show_sync()
    qtbot.waitUntil(lambda: window.sync_screen.facts.text() != "", timeout=5000)
    failures += [f"{size} sync: {p}" for size in SIZES for p in lay_out(window, size)]
    assert not failures, "\n".join(failures[:40])


@pytest.mark.slow
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_device_form_of_every_kind_fits_every_display(make_window, tmp_path, language):
    """Each device kind's own options (numbers in spin boxes, choices, switches, paths) in
    the technician's form, at each size: a number box as tall as its digits, every key
    readable, every switch a touch target."""
    devices = replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
    window = make_window(with_dpi(write_config(tmp_path, devices), 133), language=language,
                         start=False)
    window.set_language(language)
    window._show_technician()
    technician = window.technician
    technician.table.selectRow(0)
    form = technician.form
    failures = []
    for kind in kinds():
        form.type_box.setCurrentIndex(form.type_box.findData(kind))
        assert sorted(form.fields) == sorted(["id", "lane", "enabled",
                                              *kinds()[kind].options.own_schema()])
        failures += [f"{size} {kind}: {p}" for size in SIZES for p in lay_out(window, size)]
        for key, field in form.fields.items():  # switches: a square a finger can aim at
            if isinstance(field.widget, QCheckBox):
                option = QStyleOptionButton()
                field.widget.initStyleOption(option)
                square = field.widget.style().subElementRect(
                    QStyle.SubElement.SE_CheckBoxIndicator, option, field.widget)
                if min(square.width(), square.height()) < 0.6 * window.touch.pixels - 1:
                    failures.append(f"{kind}.{key}: a {square.size()} check box")
    assert not failures, "\n".join(failures[:40])


LONG_CHECKPOINT = "Chốt kiểm soát liên ngành Quốc lộ 1A — cửa ngõ phía Nam Hà Nội, làn 2"


@pytest.mark.slow
@pytest.mark.parametrize("dpi", sorted(PANELS))
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_long_checkpoint_name_and_an_offline_backlog_fit_every_display(make_window, tmp_path,
                                                                         language, dpi):
    """The title (the checkpoint's name, as long as a province writes it) and the status
    strip at its longest (the centre unreachable for days, a backlog, entries refused), over
    a refused card: on a portrait 7" panel neither may push the screen off its glass."""
    devices = (replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
               + '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\nlane = "toggle"\n')
    path = write_config(tmp_path, devices)
    path.write_text(path.read_text(encoding="utf-8").replace(
        'checkpoint_name = "Chốt Cầu Giấy"', f'checkpoint_name = "{LONG_CHECKPOINT}"'),
        encoding="utf-8")
    window = make_window(with_dpi(path, dpi), language=language, start=False)
    window.set_language(language)
    assert window.title.full_text == LONG_CHECKPOINT
    window.bridge.sync_changed.disconnect(window.strip.set_sync)  # this view, not the store's
    window.strip.set_sync(SyncView(enabled=True, pending=123456, rejected=2718,
                                   acknowledged=None, oldest_pending_age_seconds=3.5 * DAY,
                                   online=False, last_success=NOW - 4 * DAY))
    assert window.strip.sync.text().count("·") >= 3
    code, reason = longest_reason(language)
    window.officer.card.show_result(ScanResult(Status.REJECTED, Scan(b"x", device_id="t"),
                                               reason_code=code, words=reason))
    failures = []
    for size in SIZES:
        failures += [f"{size}: {p}" for p in lay_out(window, size)]
        shown = window.title.text().replace("\n", " ")  # its two lines: one name
        if shown != LONG_CHECKPOINT and not (
                shown.endswith("…") and LONG_CHECKPOINT.startswith(shown[:-1])):
            failures.append(f"{size}: the name shows as {shown!r}")
    assert window.title.toolTip() == LONG_CHECKPOINT
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_strips_sync_line_never_wraps_between_a_number_and_what_it_counts(
        make_window, tmp_path, language):
    """Wrapped on a small screen, the offline line breaks after a part's "·" or between
    words, never after a number ("… oldest 5 h 51 · 2" over "refused by the centre": two
    of what?) nor inside an age ("cũ nhất 5 giờ" over "51 · 2 lượt bị từ chối"), as it did
    at 800×480, 1024×600 and 480×800 in both languages, nor before a "·"."""
    devices = (replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
               + '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\nlane = "toggle"\n')
    window = make_window(write_config(tmp_path, devices), language=language, start=False)
    window.set_language(language)
    window.bridge.sync_changed.disconnect(window.strip.set_sync)  # these views, not the store's
    failures = []
    for pending, rejected, age in itertools.product((7, 37, 4321), (2, 58),
                                                    (51 * 60, 5 * 3600 + 51 * 60, 3.5 * DAY)):
        window.strip.set_sync(SyncView(enabled=True, pending=pending, rejected=rejected,
                                       acknowledged=None, oldest_pending_age_seconds=age,
                                       online=False))
        for size in SIZES:
            window.fit_to(QSize(*size))
            settle()
            lines = wrapped_lines(window.strip.sync)
            for above, below in itertools.pairwise(lines):
                end, start = above.rstrip(), below.lstrip()
                if end[-1:].isdigit() or start.startswith("·") or (
                        start[:1].isdigit() and not end.endswith("·")):
                    failures.append(f"{size}: {above!r} over {below!r}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("dpi", [0, 133])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_technician_tab_is_in_view_and_in_portrait_the_list_is_above_them(
        make_window, tmp_path, language, dpi):
    """The technician finds enrolment (Centre) and Check without paging the tab bar: its
    five tabs are all in view at every size. Side by side with the device list, the tabs
    had 40 % of the width (at 800×480 Centre and Check hid behind scroll arrows, at 1024×600
    Check); on a portrait 1080×1920 totem they stayed beside the list, in 40 % of the width,
    rather than under it as on a portrait 7" panel."""
    devices = (replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
               + '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\nlane = "toggle"\n')
    window = make_window(with_dpi(write_config(tmp_path, devices), dpi), language=language,
                         start=False)
    window.set_language(language)
    window._show_technician()
    technician = window.technician
    bar = technician.tabs.tabBar()
    failures = []
    for size in SIZES:
        window.fit_to(QSize(*size))
        settle()
        hidden = [bar.tabText(index) for index in range(bar.count())
                  if not bar.rect().contains(bar.tabRect(index))]
        if hidden:
            failures.append(f"{size}: tabs {hidden} out of view ({bar.width()} px bar)")
        portrait = size[1] > size[0]
        if portrait and technician.tabs.y() < technician.table.y() + technician.table.height():
            failures.append(f"{size}: the tabs are beside the list, not under it")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_in_kiosk_mode_a_7_inch_panel_shows_the_checkpoints_name_whole(make_window, tmp_path,
                                                                       language):
    """Full screen, the header has a Close button more: at 800×480 the name of a lane
    ("Chốt kiểm soát Cầu Giấy — làn 2") read "Chốt kiểm soát Cầu Giấy —…", the lane gone.
    The name gives up a little of its size (down to 18 px) before it shortens itself."""
    path = write_config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        'checkpoint_name = "Chốt Cầu Giấy"',
        'checkpoint_name = "Chốt kiểm soát Cầu Giấy — làn 2"'), encoding="utf-8")
    window = make_window(path, language=language, start=False, kiosk_mode=True)
    window.set_language(language)
    assert window.exit_button.isVisibleTo(window)
    problems = lay_out(window, (800, 480))
    assert window.title.text() == "Chốt kiểm soát Cầu Giấy — làn 2"
    assert window.title.font().pixelSize() >= 18
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_7_inch_panel_shows_a_longer_checkpoint_name_whole_on_two_lines(
        make_window, tmp_path, language):
    """At 800×480 and 480×800 "Chốt kiểm soát Cầu Giấy số 3 — cổng phía Bắc" read "…số 3 —
    c…" and "…cổng phía…" (revofficer 40, 46): at its smallest size it now breaks between
    two words onto a second line, its words whole, the screen still fitting its glass."""
    name = "Chốt kiểm soát Cầu Giấy số 3 — cổng phía Bắc"
    path = write_config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        'checkpoint_name = "Chốt Cầu Giấy"', f'checkpoint_name = "{name}"'), encoding="utf-8")
    window = make_window(path, language=language, start=False, kiosk_mode=True)
    window.set_language(language)
    for size in ((800, 480), (480, 800)):
        problems = lay_out(window, size)
        assert window.title.text().replace("\n", " ") == name, size
        assert window.title.font().pixelSize() >= 18
        assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("dpi", sorted(PANELS))
def test_the_cards_headline_and_the_officers_words_stay_readable_on_every_display(
        make_window, tmp_path, dpi):
    """What the officer reads from arm's length keeps its size while the card makes room:
    the headline at least 26 px and the name or plain-words line at least 20 px, in every
    state a real scan produces (a long name, a damaged citizen ID code, the certificates),
    at every size the panel's DPI comes with (96: any, the fallback); the time and the
    technical reason under them give way first."""
    lanes = replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
    path = write_config(tmp_path, lanes, extra='\n[certificates]\ntrust_list = "trust.json"\n')
    issuer = make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    window = make_window(with_dpi(path, dpi), start=False)
    shown = results(window, issuer)
    del shown["refused (vi)"], shown["refused (en)"]  # the catalogue's longest: no scan says it
    bad_date = "001099012345|123456789|Nguyễn Văn An|31021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
    shown["refused"] = window.kiosk.pipeline.submit(Scan(bad_date.encode(), device_id="t"))
    assert shown["refused"].reason_code == "cccd_bad_field"
    card = window.officer.card
    failures = []
    for state, result in shown.items():
        card.show_result(result)
        for size in PANEL_SIZES.get(dpi, SIZES):
            lay_out(window, size)
            sizes = {"headline": card.headline.font().pixelSize(),
                     "words": card.name.font().pixelSize()}
            if sizes["headline"] < 26 or sizes["words"] < 20:
                failures.append(f"{size} {state}: {sizes} px on a {card.size()} card")
    assert not failures, "\n".join(failures)


MARKS = {"accepted": "tick", "duplicate": "alert", "not an ID code": "alert",
         "certificate valid": "tick",
         "certificate expired": "alert", "certificate forged": "caution", "refused (vi)": "cross",
         "refused (en)": "cross", "cannot save": "cross"}


def ink(shape: str, side: int = 64) -> set[tuple[int, int]]:
    """The pixels a symbol inks (the default text colour, dark) at ``side`` px."""
    mark = Mark()
    mark.resize(side, side)
    mark.set_shape(shape)
    image = mark.grab().toImage()
    return {(x, y) for x in range(side) for y in range(side)
            if image.pixelColor(x, y).lightness() < 100}


def test_the_four_symbols_are_drawn_and_differ(qtbot):
    """A tick, an exclamation mark and a cross in a ring, and an exclamation mark in a warning
    triangle, drawn by the card itself (no font needs to have them): each inks an outline
    and a shape of its own."""
    shapes = ("tick", "alert", "cross", "caution")
    drawn = {shape: ink(shape) for shape in shapes}
    assert all(len(pixels) > 0.1 * 64 * 64 for pixels in drawn.values()), \
        {shape: len(pixels) for shape, pixels in drawn.items()}
    for first, second in itertools.combinations(shapes, 2):
        differing = drawn[first] ^ drawn[second]
        assert len(differing) > 0.2 * len(drawn[first]), (first, second, len(differing))
    assert ink("") == set()


@pytest.mark.parametrize("size", [(800, 480), (480, 800), (1920, 1080)])
def test_every_answer_is_a_colour_a_word_and_a_symbol(make_window, tmp_path, size):
    """Green with a tick, amber with "!", red with a cross (a forged certificate recorded all
    the same: a warning triangle) — an officer who cannot tell red from green still reads
    the answer: the symbol is as tall as the headline's letters,
    beside it, never over it, and drawn in the card's text colour."""
    lanes = replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
    path = write_config(tmp_path, lanes, extra='\n[certificates]\ntrust_list = "trust.json"\n')
    issuer = make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    window = make_window(path, start=False)
    card = window.officer.card
    assert card.result is None and not card.mark.isVisibleTo(card)  # ready: nothing to say
    for state, result in results(window, issuer).items():
        card.show_result(result)
        lay_out(window, size)
        mark, headline = card.mark, card.headline
        assert mark.isVisibleTo(card) and mark.shape == MARKS[state], state
        assert mark.height() >= headline.font().pixelSize(), (state, mark.size())
        assert not mark.geometry().intersects(headline.geometry()), state
        colour = card.palette().color(card.foregroundRole())
        image = mark.grab().toImage()
        inked = sum(image.pixelColor(x, y) == colour for x in range(image.width())
                    for y in range(image.height()))
        assert inked > 0.05 * image.width() * image.height(), (state, inked)


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)])
def test_without_the_chart_the_spare_room_goes_above_manual_entry_not_into_the_tiles(
        make_window, tmp_path, size):
    """On a short screen the hour chart is hidden; the direction buttons and today's counts
    stay together under one another, and manual entry sits at the bottom, rather than the
    spare height pulling the numbers away from their captions."""
    window = make_window(write_config(tmp_path, replay_device("lan-vao", tmp_path / "q.txt",
                                                              lane="in")), start=False)
    assert lay_out(window, size) == []
    officer = window.officer
    assert not officer.chart.isVisible()
    for name, tile in officer.tiles.items():  # its caption may wrap onto a second line
        needed = max(tile.sizeHint().height(), tile.heightForWidth(tile.width()))
        assert tile.height() <= needed + 2, (name, tile.height(), needed)
    bottom = officer.table.mapTo(officer, officer.table.rect().bottomLeft()).y()
    manual = officer.manual_button.mapTo(officer, officer.manual_button.rect().bottomLeft())
    assert abs(manual.y() - bottom) <= 2, (manual.y(), bottom)


def test_on_a_large_screen_the_answer_grows_to_fill_its_card(make_window, tmp_path):
    """On full HD the card is twice as big as on 1280×800: its words grow with it (read from
    further away), up to 1.6 times, and still fit."""
    window = make_window(write_config(tmp_path), start=False)
    person = "079301004567|123456789|Trần Thị Bình|15071985|Nữ|Hà Nội|20052021"
    window.officer.card.show_result(window.kiosk.pipeline.submit(
        Scan(person.encode(), device_id="t", lane="in")))
    headline = window.officer.card.headline
    sizes = {}
    for size in [(1280, 800), (1920, 1080), (1080, 1920)]:
        assert lay_out(window, size) == []
        sizes[size] = headline.font().pixelSize()
    assert sizes[(1280, 800)] >= 48
    assert sizes[(1920, 1080)] > 1.3 * 48 and sizes[(1080, 1920)] > 1.3 * 48, sizes
    assert max(sizes.values()) <= round(1.6 * 48)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_recent_list_never_cuts_a_name_to_show_the_document_column(make_window, qtbot,
                                                                        tmp_path, language):
    """The recent list gives up the document and code columns before it shortens a name to
    "Phạm Thị Hồng …": at every size each name shows whole (up to 320 px: longer ones are
    cut on any screen)."""
    window = make_window(write_config(tmp_path), language=language, start=False)
    window.set_language(language)
    for number, name in enumerate(["Phạm Thị Hồng Nhung", "Nguyễn Văn An", "Vũ Thị Thuỷ"]):
        payload = f"0011889993{number:02d}|123456789|{name}|12081988|Nữ|Hà Nội|10102021"
        window.kiosk.pipeline.submit(Scan(payload.encode(), device_id="t", lane="in"))
    table = window.officer.table
    window.officer.refresh()
    list_shows_the_store(window, qtbot)
    assert table.rowCount() == 3
    failures = []
    for size in SIZES:
        assert lay_out(window, size) == []
        needed = min(table.sizeHintForColumn(2), 320)
        if table.horizontalHeader().sectionSize(2) < needed:
            failures.append(f"{size}: names get {table.horizontalHeader().sectionSize(2)} px, "
                            f"need {needed}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("size", [(600, 1024), (1080, 1920), (1920, 1080)])
def test_on_a_tall_screen_manual_entry_shows_every_field_without_scrolling(make_window,
                                                                          tmp_path, size):
    """The form grows to its fields' height where the screen has it (a portrait 600×1024
    panel showed four of its five fields in a 553 px dialog and scrolled the reason away)."""
    window = make_window(write_config(tmp_path), start=False)
    window.fit_to(QSize(*size))
    dialog = window.open_manual_entry()
    dialog.record()  # every field's error shown: the tallest the form gets
    settle()
    bar = dialog.findChild(QScrollArea).verticalScrollBar()
    assert bar.maximum() == 0, (dialog.size(), bar.maximum())
    assert fit_problems(dialog) == []
    assert dialog.height() <= size[1]
    dialog.reject()


@pytest.mark.parametrize("size", [(800, 480), (480, 800), (1280, 800)])
def test_the_centres_reasons_for_refusing_show_whole_on_the_sync_screen(make_window, qtbot,
                                                                       tmp_path, size):
    """The refused list wraps a long reason onto more lines (a 7" panel cut it to
    "scanned_at: 2026-10-01T07:12:09Z sớm hơn 3…", and a touch screen shows no tooltip)."""
    window = make_window(write_config(tmp_path), start=False)
    person = "079301004567|123456789|Trần Thị Bình|15071985|Nữ|Hà Nội|20052021"
    window.kiosk.pipeline.submit(Scan(person.encode(), device_id="t", lane="in"))
    store = window.kiosk.store
    with store.lock:
        entry = store.pending(1)[0]
    reason = messages.refusal("too_old", {"field": "scanned_at", "days": 30,
                                          "time": "2026-10-01T07:12:09Z"})
    store.mark_synced([], {entry["id"]: reason})
    window.fit_to(QSize(*size))
    window._show_sync()
    table = window.sync_screen.table
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=10000)
    settle(100)
    text = table.item(0, 3).text()
    assert text == reason("vi")
    room = table.horizontalHeader().sectionSize(3) - 6  # the cell's own margins
    needed = QFontMetrics(table.font()).boundingRect(
        QRect(0, 0, room, 10_000), int(Qt.TextFlag.TextWordWrap), text).height()
    assert table.rowHeight(0) >= needed, (table.rowHeight(0), needed, room)
    assert room >= 200, room  # a few words a line, not one


@pytest.mark.parametrize("size", [(480, 800), (600, 1024)])
def test_in_portrait_without_the_chart_the_spare_height_goes_to_the_card(make_window,
                                                                          tmp_path, size):
    """On a portrait 7" or 8" panel the buttons and counts sit together under the recent
    list and the card takes what height is left (it had 60 px less, left empty above
    manual entry)."""
    window = make_window(write_config(tmp_path, replay_device("lan-vao", tmp_path / "q.txt",
                                                              lane="in")), start=False)
    assert lay_out(window, size) == []
    officer = window.officer
    assert not officer.chart.isVisible()
    tiles = officer.tiles["in"]
    below_tiles = tiles.mapTo(officer, tiles.rect().bottomLeft()).y()
    manual = officer.manual_button.mapTo(officer, officer.manual_button.rect().topLeft()).y()
    assert manual - below_tiles <= 2 * officer.columns.spacing(), (below_tiles, manual)


@pytest.mark.parametrize("size", [(800, 480), (480, 800)])
def test_a_word_wider_than_the_card_wraps_between_its_letters(make_window, tmp_path, size):
    """No name has a word 120 letters long; a forged code can. Shown after another answer,
    the card lays out its own lines still: the word wraps between its letters (it kept the
    previous answer's line heights and sizes, the name cut off at the card's edge and the
    line under it squeezed), the headline and the officer's words keep their sizes, and
    the next card shows its words whole again."""
    window = make_window(write_config(tmp_path), start=False)
    pipeline, card = window.kiosk.pipeline, window.officer.card
    card.show_result(pipeline.submit(Scan(b"hello", device_id="t", lane="in")))
    assert lay_out(window, size) == []
    word = "NGUYỄNVĂNTHÀNHTRUNGKIÊNPHƯƠNGTHẢONGỌCBẢOKHÁNHLINHHOÀNGTHỊ" * 2
    forged = f"001099012345|123456789|{word}|01021990|Nữ|Số 1 Phố Huế, Hà Nội|10102021"
    card.show_result(pipeline.submit(Scan(forged.encode(), device_id="t", lane="in")))
    assert lay_out(window, size) == []
    assert card.name.text().replace("\u200b", "") == word
    assert card.sizes[:2] >= READABLE_SIZES[:2]
    person = f"001099012346|123456789|{LONG_NAME}|01021990|Nữ|Hà Nội|10102021"
    card.show_result(pipeline.submit(Scan(person.encode(), device_id="t", lane="in")))
    assert lay_out(window, size) == [] and card.name.text() == LONG_NAME


CAPITAL_NAME = "TÔN NỮ HOÀNG THỊ PHƯƠNG THẢO NGUYỄN NGỌC BẢO KHÁNH LINH ANH THƯ"
"""63 characters in capitals, as PC-Covid codes and some certificates write names: three
lines at 20 px on a 7" panel's card."""


@pytest.mark.parametrize("dpi", [0, 133])
@pytest.mark.parametrize("name", [CAPITAL_NAME, " ".join([CAPITAL_NAME] * 5)])
def test_a_name_too_long_for_a_7_inch_card_ends_in_an_ellipsis_not_a_smaller_verdict(
        make_window, tmp_path, dpi, name):
    """A 63-character name in capitals took the card's headline to 24 px and the name to
    18 px at 800×480 (a forged certificate's verdict too: "CHECK DOCUMENTS" shrank to make
    room for whatever name the forger wrote). The verdict and the name keep their 26 / 20 px
    floors: once the time and technical lines are down to theirs, the name ends in "…"
    after as many whole words as fit, its whole text in the tooltip."""
    path = write_config(tmp_path, extra='\n[certificates]\ntrust_list = "trust.json"\n')
    issuer, forger = make_issuer(), make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    window = make_window(with_dpi(path, dpi), start=False)
    pipeline, card = window.kiosk.pipeline, window.officer.card
    family, given = name.split(" ", 4)[:4], name.split(" ", 4)[4]
    forged = forger.sign(vaccination(name=(" ".join(family), given), birth="1983-03-03"),
                         issued=NOW - DAY, expires=NOW + DAY, kid=issuer.kid)
    codes = {"citizen ID": f"001099012345|123456789|{name}|01021990|Nữ|Hà Nội|10102021",
             "PC-Covid": f"******012345|{name}|1990-**-**|0|162979388586171100|",
             "forged certificate": forged}
    failures = []
    for kind, code in codes.items():
        for again in ("", " again"):  # the amber card's words under the name are longer
            card.show_result(pipeline.submit(Scan(code.encode(), device_id="t", lane="in")))
            for size in [(800, 480), (480, 800)]:
                failures += [f"{size} {kind}{again}: {p}" for p in lay_out(window, size)]
                shown = card.name.text()
                whole = shown == name or (shown == f"{given} {' '.join(family)}")
                if card.headline.font().pixelSize() < 26 or card.name.font().pixelSize() < 20:
                    failures.append(f"{size} {kind}{again}: {card.sizes} on {card.size()}")
                if not whole and not (shown.endswith("…") and len(shown) > 10
                                      and card.name.toolTip().startswith(shown[:-1])):
                    failures.append(f"{size} {kind}{again}: the name shows as {shown!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_sync_operator_sees_several_refused_entries_without_scrolling(
        make_window, qtbot, tmp_path, language, size):
    """The refused list is what the sync operator came for: at 800×480 it showed about one
    row under the tiles, the four buttons and the connection's facts, and the whole screen
    had to scroll to it. Now at least four refused entries and their reasons are in view,
    the screen itself unscrolled: on a short or narrow screen the list has a tab of its
    own, one tap away."""
    window = make_window(write_config(tmp_path), language=language, start=False)
    window.set_language(language)
    store = window.kiosk.store
    for number in range(6):
        person = f"07930100456{number}|123456789|Trần Thị Bình|15071985|Nữ|Hà Nội|20052021"
        window.kiosk.pipeline.submit(Scan(person.encode(), device_id="t", lane="in"))
    with store.lock:
        pending = store.pending(6)
    reason = messages.refusal("too_old", {"field": "scanned_at", "days": 30,
                                          "time": "2026-10-01T07:12:09Z"})
    store.mark_synced([], {entry["id"]: reason for entry in pending})
    window.fit_to(QSize(*size))
    window._show_sync()
    screen = window.sync_screen
    qtbot.waitUntil(lambda: screen.table.rowCount() == 6, timeout=10000)
    qtbot.waitUntil(lambda: screen.facts.text() != "", timeout=5000)
    settle(100)
    if screen.tabs.count():  # one tap on its tab: the list has the screen's height
        bar = screen.tabs.tabBar()
        QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
        settle(100)
    assert screen.scroll.verticalScrollBar().value() == 0
    table = screen.table
    seen = table.viewport().visibleRegion().boundingRect()
    whole = [row for row in range(table.rowCount())
             if seen.contains(table.visualRect(table.model().index(row, 3)))]
    assert len(whole) >= 4, (whole, seen, [table.rowHeight(r) for r in range(6)])


def wholly_seen(widget, rect: QRect | None = None) -> bool:
    """Whether ``rect`` (the whole widget by default) is on screen, nothing of it scrolled
    or clipped away by the panes around it."""
    return widget.isVisible() and widget.visibleRegion().boundingRect().contains(
        rect if rect is not None else widget.rect())


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_on_a_7_inch_panel_the_technician_reads_every_device_and_reaches_enrol(
        make_window, tmp_path, language, size):
    """At 800×480 the device list squeezed seven columns into 40 % of the width: a long id
    and each device's state sat behind a sideways scroll bar; the Centre tab's Enrol button
    was under its intro and the message line, below the fold. Now each device's id and
    state are whole in view (the columns the Settings tab repeats make way), and Enrol
    is in view as the Centre tab opens."""
    devices = (replay_device("lan-vao-cong-chinh-2", tmp_path / "queue.txt", lane="in")
               + '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\nlane = "toggle"\n')
    window = make_window(with_dpi(write_config(tmp_path, devices), 133), language=language,
                         start=False)
    window.set_language(language)
    window.fit_to(QSize(*size))
    window._show_technician()
    technician = window.technician
    moved = messages.Words("config.store_moved", {
        "old": "/var/lib/checkpoint-kiosk/kiosk.db",
        "new": "/var/lib/checkpoint-kiosk/du-lieu-moi/kiosk.db"})
    technician.message.setText(messages.text(
        "config.not_applied", language, path="/etc/checkpoint-kiosk/config.toml",
        detail=moved))
    settle()
    table = technician.table
    failures = []
    for row in range(table.rowCount()):
        for column in (0, 4):  # id, state
            item = table.item(row, column)
            rect = table.visualRect(table.model().index(row, column))
            needed = QFontMetrics(table.font()).horizontalAdvance(item.text())
            if not wholly_seen(table.viewport(), rect) or rect.width() < needed:
                failures.append(f"{item.text()!r}: {rect} of {needed} px, seen "
                                f"{table.viewport().visibleRegion().boundingRect()}")
    technician.tabs.setCurrentWidget(technician.enrol_tab)
    settle()
    if not wholly_seen(technician.enrol.enrol_button):
        failures.append(f"Enrol out of view: {technician.enrol.enrol_button.geometry()}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_the_right_column_and_the_status_line_grow_with_a_full_hd_screen(make_window, qtbot,
                                                                         tmp_path, size):
    """On a 24" full-HD screen, read from arm's length, the right column's words stayed
    the 16–18 px set for a 1280×800 one (4 mm: the counts' captions, the lanes, the line
    of codes naming nobody) while the card grew: they grow with the screen too (as much
    as both its sides allow: 1.35 ×), and so does the status line under them (the
    scanners' states, MẤT KẾT NỐI), and still fit; a 1280×800 screen keeps its sizes."""
    window = make_window(write_config(tmp_path, replay_device(
        "lan-vao", tmp_path / "queue.txt", lane="in")), start=False)
    window.kiosk.pipeline.submit(Scan(b"https://example.vn/thuc-don?ban=12", device_id="t"))
    officer = window.officer
    officer.refresh()
    qtbot.waitUntil(officer.not_id_count.isVisible, timeout=10000)

    def right_column() -> dict[str, int]:
        tile = officer.tiles["in"]
        return {"direction title": officer.direction_title.font().pixelSize(),
                "lanes": officer.lanes.font().pixelSize(),
                "codes naming nobody": officer.not_id_count.font().pixelSize(),
                "chart title": officer.chart_title.font().pixelSize(),
                "tile caption": tile.caption.font().pixelSize(),
                "tile number": tile.value.font().pixelSize(),
                "IN button": officer.toggle.buttons["in"].font().pixelSize(),
                "manual entry": officer.manual_button.label.font().pixelSize(),
                "scanner": window.strip.badges["lan-vao"].font().pixelSize(),
                "sync line": window.strip.sync.font().pixelSize()}

    assert lay_out(window, (1280, 800)) == []
    base = right_column()
    assert base == {"direction title": 18, "lanes": 16, "codes naming nobody": 16,
                    "chart title": 16, "tile caption": 18, "tile number": 40,
                    "IN button": 24, "manual entry": 22, "scanner": 15, "sync line": 16}
    assert lay_out(window, size) == []
    assert right_column() == {line: round(pixels * 1.35) for line, pixels in base.items()}
    assert officer.lanes.isVisible() and officer.chart_title.isVisible()
