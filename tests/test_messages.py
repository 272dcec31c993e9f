"""The words catalogue: every sentence in both languages with the same blanks, every code the
code asks for present, and words handed over as codes worded in whichever language reads them."""

from __future__ import annotations

import ast
import builtins
import errno
import os
import pickle
import re
import string
from pathlib import Path

from kiosk import messages
from kiosk.messages import CATALOGUE, Words, both, saved_text, saved_words, text

ROOT = Path(__file__).resolve().parent.parent


def blanks(template: str) -> set[str]:
    """The parameters a template uses ({key} and {Key}: the same word, capitalised)."""
    return {name.lower() for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_sentence_exists_in_both_languages_with_the_same_blanks() -> None:
    for code, (vi, en) in CATALOGUE.items():
        assert vi.strip() and en.strip(), code
        assert blanks(vi) == blanks(en), code
        for language, sentence in zip(messages.LANGUAGES, (vi, en), strict=True):
            if "{" not in sentence:  # shown as written, whatever parameters come with it
                assert text(code, language, detail="") == sentence == \
                    sentence.replace(" ()", "").rstrip(": "), code


def literal_codes() -> set[tuple[str, str]]:
    """(file, code) for every text/both/Words call with a literal code, and every literal
    prefix of an f-string code (``f"sync.{code}"`` → ``sync.``)."""
    found = set()
    for path in (ROOT / "kiosk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", "")
            if name not in ("text", "both", "Words"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((path.name, first.value))
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                found.add((path.name, first.values[0].value + "*"))
    return found


def test_every_code_the_program_asks_for_is_in_the_catalogue() -> None:
    codes = literal_codes()
    assert len(codes) > 60
    for where, code in codes:
        if code.endswith("*"):
            assert any(known.startswith(code[:-1]) for known in CATALOGUE), (where, code)
        else:
            assert code in CATALOGUE, (where, code)


def worded_calls() -> list[tuple[str, int, str, set[str] | None]]:
    """(file, line, code, parameter names; None when some are spread) for every call that
    words a literal code: text, both, Words and the project's WordedErrors (BacklogError
    completes ``backlog.…`` and takes the file apart)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / "kiosk").rglob("*.py"))}
    bases = {node.name: {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
             for tree in trees.values() for node in ast.walk(tree)
             if isinstance(node, ast.ClassDef)}
    worded = {"text", "both", "Words", "WordedError", "BacklogError"}
    while more := {name for name, of in bases.items() if name not in worded and of & worded}:
        worded |= more
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            name = node.func.attr if isinstance(node, ast.Call) and isinstance(
                node.func, ast.Attribute) else getattr(getattr(node, "func", None), "id", "")
            if name not in worded:
                continue
            codes = [(i, arg.value) for i, arg in enumerate(node.args)
                     if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            built = [arg for arg in node.args if isinstance(arg, ast.JoinedStr)]
            if name not in ("text", "both", "Words") and built and not codes:
                start = built[0].values[0]  # f"sync.{kind}" completes a code; f"{path}: …" not
                code = start.value if isinstance(start, ast.Constant) else ""
                found.append((str(path.relative_to(ROOT)), node.lineno, code + "*", None))
            if not codes or (name == "text" and codes[0][0] != 0):
                continue
            at, code = codes[0]
            if name == "Words":
                given = node.args[at + 1] if len(node.args) > at + 1 else ast.Dict([], [])
                names = {key.value for key in given.keys} if isinstance(given, ast.Dict) and all(
                    isinstance(key, ast.Constant) for key in given.keys) else None
            else:
                names = None if any(k.arg is None for k in node.keywords) else {
                    k.arg for k in node.keywords}
            if name == "BacklogError":
                code, names = f"backlog.{code}", names and names - {"path"}
            found.append((str(path.relative_to(ROOT)), node.lineno, code, names))
    return found


def test_every_worded_code_is_in_the_catalogue_and_given_every_blank() -> None:
    """A code missing, or a blank its call leaves empty, would show a reader the code itself
    or a raw ``{path}`` — in an error path, where nobody looks before a person reads it."""
    calls = worded_calls()
    assert len(calls) > 400  # store.*, config.*, sync.*, the centre's refusals…
    assert [(where, line, code) for where, line, code, _ in calls if code not in CATALOGUE
            and not (code.endswith(".*") and any(c.startswith(code[:-1]) for c in CATALOGUE))
            ] == []
    assert [(where, line, code, sorted(left)) for where, line, code, names in calls
            if code in CATALOGUE and names is not None
            for left in [set().union(*map(messages._blanks, CATALOGUE[code])) - names]
            if left] == []


def test_every_word_the_dashboard_asks_for_is_in_the_catalogue() -> None:
    """The dashboard's templates and pages ask ``t("key")`` (or ``t("kind." + kind)``) for
    ``web.<key>``: each one is there (an unknown code would show as itself)."""
    asked = re.compile(r"""\bt\(\s*["']([a-z_.0-9-]+)["']\s*([+)])""")
    web = ROOT / "kiosk" / "central" / "web"
    found = [(path.name, key, end) for path in [*web.rglob("*.html"), *web.rglob("*.py")]
             for key, end in asked.findall(path.read_text(encoding="utf-8"))]
    assert len(found) > 100
    for where, key, end in found:
        if end == "+":
            assert any(code.startswith(f"web.{key}") for code in CATALOGUE), (where, key)
        else:
            assert f"web.{key}" in CATALOGUE, (where, key)


def test_words_are_worded_by_the_reader_nested_words_too() -> None:
    reason = Words("cccd_bad_field", {"detail": messages.detail_words(
        "no_such_date", field="birth_date", value="31021990")})
    assert reason("vi") == "Mã CCCD sai: ngày sinh '31021990': ngày không tồn tại"
    assert reason("en") == "Invalid CCCD code: birth date '31021990': no such date"


def test_an_operating_system_error_is_worded_without_the_systems_english() -> None:
    """The system words its errors in English ("Stale file handle"): in a Vietnamese
    sentence they would be the one part an officer cannot read. The common ones are named
    in the reader's language; any other by its symbol, with no English words."""
    for number in (errno.ELOOP, errno.ENOTDIR, errno.EIO, errno.ESTALE, errno.EACCES,
                   errno.ENOENT, errno.ENOSPC, errno.EROFS, errno.EEXIST, errno.EISDIR,
                   errno.EBUSY, errno.EPERM):
        words = messages.os_words(OSError(number, os.strerror(number)))
        assert words.code != "os.other"
        assert os.strerror(number) not in words("vi") + words("en")
    other = messages.os_words(OSError(errno.EXDEV, os.strerror(errno.EXDEV)))
    assert other("vi") == "lỗi hệ điều hành EXDEV"
    assert other("en") == "operating system error EXDEV"
    assert messages.os_words(OSError("no number"))("vi") == "lỗi hệ điều hành ?"


def test_saved_words_are_worded_in_another_process_and_old_plain_text_stays() -> None:
    alert = Words("sync.auth_403", {"detail": "HTTP 403: kiosk k2"})
    assert saved_text(alert.saved(), "en") == alert("en")
    assert saved_text(alert.saved(), "vi").startswith("Máy chủ trung tâm từ chối: dữ liệu")
    assert saved_text("The centre refused this kiosk's token", "vi") == \
        "The centre refused this kiosk's token"


def test_an_alert_saved_before_its_sentence_named_the_kiosk_still_says_why() -> None:
    """A 401 alert saved by the version before (no ``kiosk``), read after the upgrade: the
    missing blank reads "…", the centre's reason is still given, not the bare template."""
    saved = Words("sync.auth_401", {"detail": "HTTP 401: Authorization: unknown token"}).saved()
    english = saved_text(saved, "en")
    assert english.startswith("The centre refused this kiosk's token (HTTP 401: "
                              "Authorization: unknown token); uploads stopped")
    assert "`kiosk-central kiosks token … --reason …`" in english
    assert "{" not in english and "{" not in saved_text(saved, "vi")


def test_a_centres_answer_is_worded_only_when_every_code_and_blank_is_known() -> None:
    """An error body's code and parameters become Words for the kiosk's reader; a code this
    kiosk does not know (a newer centre), a missing parameter, or an answer nested without
    end (or only deeper than a refusal in a refusal needs) gives None: the centre's own
    text is shown then."""
    revoked = {"code": "api.revoked", "params": {"kiosk": "k1", "at": "2026-11-30T08:00:00Z"}}
    words = messages.answered_words({"error": "…", **revoked})
    assert words is not None
    assert words("vi") == "Authorization: trạm k1 đã bị thu hồi lúc 2026-11-30T08:00:00Z"
    assert messages.answered_words({"code": "api.revoked", "params": {"kiosk": "k1"}}) is None
    assert messages.answered_words({"code": "api.newer", "params": {}}) is None
    assert messages.answered_words({"code": "sync.http", "params": {
        "status": 401, "error": {"code": "api.newer", "params": {}}}}) is None
    deep: dict = {"code": "sync.http", "params": {"status": 1, "error": "x"}}
    for _ in range(5000):
        deep = {"code": "sync.http", "params": {"status": 1, "error": deep}}
    assert messages.answered_words(deep) is None
    nested: list[dict] = [{"code": "sync.http", "params": {"status": 1, "error": "x"}}]
    for _ in range(300):  # each can be read, the deeper ones not worded in the sync cycle
        nested.append({"code": "sync.http", "params": {"status": 1, "error": nested[-1]}})
    answers = [messages.answered_words(answer) for answer in nested]
    assert answers[2] is not None and answers[-1] is None
    assert [len(str(messages.WordedError("sync.http", status=500, error=words)))
            for words in answers if words is not None]  # none raises RecursionError


def test_a_parameter_that_does_not_fit_its_blank_leaves_the_sentence_unfilled() -> None:
    """A hostile or broken centre answers with a known code whose parameter does not fit
    its blank (text where ``{seconds:.1f}`` wants a number): the error built from it is
    still shown, its sentence unfilled, instead of a ValueError out of the error path."""
    words = messages.answered_words({"code": "sync.push_done", "params": {
        "done": 1, "seconds": "x", "accepted": 1, "duplicate": 0, "rejected": 0,
        "remaining": 0}})
    assert words is not None
    assert words("en") == CATALOGUE["sync.push_done"][1]
    error = messages.WordedError("sync.http", status=500, error=words)
    assert str(error).endswith(f"HTTP 500: {CATALOGUE['sync.push_done'][1]}")


def test_a_brace_the_sentence_shows_is_shown_once_with_or_without_parameters() -> None:
    """A sentence showing JSON (``{"secret": "…"}``) writes its braces doubled in the
    catalogue; the reader sees them once whether the sentence has blanks or not. Before, a
    sentence given no parameters was shown as written, ``{{"secret": "…"}}``."""
    assert messages.text("api.enrol_body", "en") == 'expected a JSON object {"secret": "…"}'
    assert messages.text("api.enrol_body", "vi") == 'cần một đối tượng JSON {"secret": "…"}'
    assert messages.text("api.keys_body", "en", detail="not base64") == \
        'expected {"signing_key": base64}: not base64'


def test_a_worded_error_crosses_a_process_boundary_as_it_was() -> None:
    """Pickled (an export worker's failure, a centre worker's), a WordedError comes back
    with its code, parameters, sentence and own attributes, whatever its constructor."""
    from kiosk.store import StoreError
    from kiosk.sync.protocol import ProtocolError

    for error in (StoreError("store.failed", path=Path("/x/kiosk.db"), detail="disk I/O"),
                  ProtocolError(422, "wire.health", detail=messages.WordedError(
                      "store.sqlite", detail="nested"))):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and back.words.plain() == error.words.plain()
        assert str(back) == str(error) and back.__dict__.keys() == error.__dict__.keys()
    assert back.status == 422 and str(back).startswith("health: nested / ")


def test_a_technicians_line_carries_both_languages() -> None:
    assert both("device.went_away", path="/dev/ttyACM0") == \
        "/dev/ttyACM0 vừa bị rút ra / /dev/ttyACM0 went away"
    assert text("no.such.code", "vi") == "no.such.code"




def printed_literals(node: ast.AST) -> list[str]:
    """The literal text a print() argument shows as it is: string constants and the fixed
    parts of f-strings (format specs aside), not what a call (``both``, ``json.dumps``…)
    makes of its own arguments."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [text for part in node.values for text in printed_literals(part)]
    if isinstance(node, ast.FormattedValue):
        return printed_literals(node.value)
    if isinstance(node, ast.BinOp):
        return printed_literals(node.left) + printed_literals(node.right)
    if isinstance(node, ast.IfExp):
        return printed_literals(node.body) + printed_literals(node.orelse)
    if isinstance(node, ast.BoolOp):  # ``words or "fallback"``
        return [text for value in node.values for text in printed_literals(value)]
    return []


SHOWING_CALLS = {"print": None, "fail": 1, "SystemExit": 1, "ArgumentTypeError": 1}
"""Calls whose arguments end up on a console or a screen as they are, and how many of their
arguments (None: all): ``fail()`` and ``SystemExit()`` print their message on stderr,
argparse prints an ``ArgumentTypeError``'s. The project's own exceptions are
:func:`exception_literals`' business."""


def shown_literals(node: ast.Call) -> list[str]:
    """The literal text with letters a call shows without the catalogue: in the arguments of
    :data:`SHOWING_CALLS`, and in a ``label=`` that is not a catalogue code (the label
    ``run_command`` puts before an error's reason)."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else \
        getattr(node.func, "id", "")
    shown = node.args[:SHOWING_CALLS[name]] if name in SHOWING_CALLS else []
    shown += [keyword.value for keyword in node.keywords if keyword.arg == "label" and not (
        isinstance(keyword.value, ast.Constant) and keyword.value.value in CATALOGUE)]
    return [literal for arg in shown for literal in printed_literals(arg)
            if any(character.isalpha() for character in literal)]


def test_every_sentence_a_command_shows_comes_from_the_catalogue() -> None:
    """Every sentence a `kiosk` or `kiosk-central` command shows, in any module (the Qt
    screens included: what they print goes to a console, not into a widget), comes from the
    catalogue, in the configured language or in both: a literal with letters printed,
    raised as a command's exit message or an argument's refusal, or given as an error's
    label, or as a device's error, is a sentence that bypassed it."""
    modules = sorted((ROOT / "kiosk").rglob("*.py"))
    assert {ROOT / "kiosk/cli.py", ROOT / "kiosk/central/cli.py", ROOT / "kiosk/ui/app.py",
            ROOT / "kiosk/devices/camera.py"} <= set(modules)
    caught = ast.parse('print(f"Đã thêm / Added: {line:20}", both("central.added"))\n'
                       'raise fail(f"store error: {exc}", 3)\n'
                       'raise SystemExit("export needs -o FILE")\n'
                       'raise argparse.ArgumentTypeError(f"{text!r}: expected YYYY-MM")\n'
                       'run_command(parser, argv, label="storage error", exit_code=3)\n'
                       'run_command(parser, argv, label="cli.storage_error", exit_code=3)\n'
                       'print(both("cli.bad_day", value=repr(text)), 42, file=sys.stderr)\n'
                       'print(missing_extra(exc) or f"needs {exc.name}", file=sys.stderr)')
    assert [shown_literals(node) for node in ast.walk(caught) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) in
            ("print", "fail", "SystemExit", "ArgumentTypeError", "run_command")] == [
        ["Đã thêm / Added: "], ["store error: "], ["export needs -o FILE"],
        [": expected YYYY-MM"], ["storage error"], [], [], ["needs "]]
    bypassed = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                bypassed += [(str(path.relative_to(ROOT)), node.lineno, literal)
                             for literal in shown_literals(node)]
    assert bypassed == []


def test_a_table_header_is_one_line_per_language_laid_out_like_its_rows() -> None:
    assert messages.table_header("central.columns.users", "{:6}|{:9}|{}|{}|{}") == [
        "tên   |vai trò  |huyện|trạng thái|tạo lúc", "name  |role     |district|state|created"]


def project_exceptions(trees: dict[Path, ast.Module]) -> set[str]:
    """The exception classes the project defines (derived, at any depth, from a built-in
    exception): raised for a person to read, so they take a catalogue code."""
    bases = {node.name: {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
             for tree in trees.values() for node in ast.walk(tree)
             if isinstance(node, ast.ClassDef)}
    found: set[str] = set()
    while True:
        more = {name for name, of in bases.items() if name not in found and any(
            base in found or (isinstance(getattr(builtins, base, None), type)
            and issubclass(getattr(builtins, base), BaseException)) for base in of)}
        if not more:
            return found
        found |= more


def is_code(value: object) -> bool:
    """A catalogue code, or the end of one an exception completes (``BacklogError("changed")``
    is ``backlog.changed``)."""
    return isinstance(value, str) and (value in CATALOGUE or (re.fullmatch(
        r"[a-z_0-9]+(\.[a-z_0-9]+)*", value) is not None and any(
        code.endswith(f".{value}") for code in CATALOGUE)))


def exception_literals(node: ast.Call, exceptions: set[str]) -> list[str]:
    """The English a project exception is built with instead of a catalogue code: a literal
    with letters among its positional arguments (a first one that is a catalogue code
    aside), or a sentence (letters and a space) given as a parameter.

    The rule that separates the two kinds of error: the project's own exception classes are
    caught at an edge and shown (a command's stderr, an HTTP refusal's body, the dashboard,
    the technician's screens), so they carry codes; the built-in ones (``ValueError``,
    ``TypeError``, ``RuntimeError``, ``AssertionError``…) are a programmer's: a broken
    invariant or an argument no reader can have typed, never caught to be shown."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else \
        getattr(node.func, "id", "")
    if name not in exceptions:
        return []
    args = [arg for arg in node.args
            if not (isinstance(arg, ast.Constant) and is_code(arg.value))]
    found = [literal for arg in args for literal in printed_literals(arg)
             if any(character.isalpha() for character in literal)]
    return found + [literal for keyword in node.keywords
                    for literal in printed_literals(keyword.value)
                    if " " in literal.strip() and any(c.isalpha() for c in literal)]


def error_body_literals(node: ast.Dict) -> list[str]:
    """The English of an HTTP error body written by hand (``{"error": "no such …"}``: words,
    not a colour) instead of :func:`kiosk.sync.protocol.refusal_body`."""
    return [literal for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and key.value == "error"
            for literal in printed_literals(value)
            if " " in literal.strip() and any(c.isalpha() for c in literal)]


def english_exceptions() -> list[tuple[str, int, str]]:
    """(file, line, literal) for every project exception, and every HTTP error body, built
    with English words."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / "kiosk").rglob("*.py"))}
    exceptions = project_exceptions(trees)
    return [(str(path.relative_to(ROOT)), node.lineno, literal)
            for path, tree in trees.items() for node in ast.walk(tree)
            for literal in (exception_literals(node, exceptions) if isinstance(node, ast.Call)
                            else error_body_literals(node) if isinstance(node, ast.Dict)
                            else [])]


def test_an_exception_a_person_reads_carries_a_catalogue_code() -> None:
    """A refusal the project raises reaches a technician, centre staff or an officer (the
    config check, a backlog file, a trust list, the registry's import, an account…): it is
    a catalogue code with parameters (:class:`kiosk.messages.WordedError`), worded in the
    reader's language where it is shown, never an English sentence."""
    caught = ast.parse('class ConfigError(WordedError, ValueError): pass\n'
                       'class TrustListError(ConfigError): pass\n'
                       'raise ConfigError(f"{path}: file not found")\n'
                       'raise TrustListError("file.not_found", path=path)\n'
                       'raise TrustListError("config.not_toml", detail="no usable key")\n'
                       'raise ValueError(f"direction must be in, out or auto, not {d!r}")')
    exceptions = project_exceptions({Path("x.py"): caught})
    assert {"ConfigError", "TrustListError"} <= exceptions and "ValueError" not in exceptions
    assert [exception_literals(node, exceptions) for node in ast.walk(caught)
            if isinstance(node, ast.Call)] == [[": file not found"], [], ["no usable key"], []]
    assert english_exceptions() == []  # 203 places were English on 2026-11-30 (6f2c1e4)
    described = [(path.name, keyword.value.value) for path in (ROOT / "kiosk").rglob("*.py")
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "opt"
                 for keyword in node.keywords if keyword.arg == "expected"
                 and isinstance(keyword.value, ast.Constant)]
    assert len(described) > 5  # a config option's allowed values, in a refusal and a form
    assert [(where, code) for where, code in described if code not in CATALOGUE] == []


def test_every_option_describes_what_it_takes_in_the_readers_language() -> None:
    """What each option of config.toml takes, as a refusal and the technician's form say it,
    is a catalogue sentence — every section's and every device kind's, the options a kind
    shares through a name (``usb``) too: a Vietnamese config check said ``cần "VID:PID" or
    "VID:PID:SERIAL" in hex``."""
    from kiosk import config as config_mod
    from kiosk.devices.registry import kinds

    schemas = [*config_mod.sections().values(), *(kind.options for kind in kinds().values())]
    english = [(schema.__name__, key, rules.expected) for schema in schemas
               for key, rules in schema.schema().items()
               if rules.expected and rules.expected not in CATALOGUE]
    assert english == []
    device = config_mod.validate_device(0, {"id": "s", "type": "serial", "usb": "0c2e:0b61"})
    rules = type(device).schema()["usb"]
    assert rules.describe()("vi") == '"VID:PID" hoặc "VID:PID:SERIAL" (chữ số thập lục phân)'
    assert rules.describe()("en") == '"VID:PID" or "VID:PID:SERIAL" in hex'


def test_a_time_later_than_the_clock_is_worded_by_one_entry_wherever_it_is_shown() -> None:
    """``kiosk sync status``, ``kiosk doctor`` (twice), ``kiosk certificates status`` and the
    sync screen each say a recorded time has no age, and why (later than the clock, or
    recorded by a clock that was wrong then); each sentence is one catalogue entry, reached
    through :func:`kiosk.clock.age_words`, so a rewording reaches them all."""
    import datetime as dt

    from kiosk.clock import age_words

    english = "later than the kiosk's clock reads now"
    assert [code for code, (_, en) in CATALOGUE.items() if english in en] == [
        "sync.later_than_clock"]
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    minutes = lambda age: f"{age.total_seconds() / 60:.0f} min"  # noqa: E731
    assert age_words(now + dt.timedelta(hours=3), minutes, now)("en") == english
    assert age_words(now - dt.timedelta(minutes=7), minutes, now)("vi") == "7 min trước"
    wrong_then = "age unknown: the kiosk's clock was wrong when it recorded this"
    assert [code for code, (_, en) in CATALOGUE.items() if wrong_then in en] == [
        "sync.clock_wrong_then"]
    at_1970 = dt.datetime(1970, 1, 1, 0, 10, tzinfo=dt.UTC)
    assert age_words(at_1970, minutes, now)("en") == wrong_then


LOGGED_LEVELS = {"warning", "warn", "error", "exception", "critical"}
"""The levels a technician reads without -v (the kiosk's and serve's default level is
WARNING): their lines are worded in both languages; INFO and DEBUG keep the system's,
SQLite's and PostgreSQL's own English, for whoever mends the fault."""


def logged_literals(node: ast.Call) -> list[str]:
    """The literal text with letters a WARNING-or-above log call writes as it is: in its
    format string and its arguments (``log.error("%s", both(...))`` writes none)."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in LOGGED_LEVELS):
        return []
    owner = func.value.attr if isinstance(func.value, ast.Attribute) else \
        getattr(func.value, "id", "")
    if "log" not in owner.lower():  # log, logger, logging, self.log: not a widget's .error
        return []
    return [literal for arg in node.args for literal in printed_literals(arg)
            if any(character.isalpha() for character in re.sub(
                r"%[-#0 +]*\d*(\.\d+)?[a-z%]", "", literal))]


def test_every_warning_and_error_logged_is_worded_in_both_languages() -> None:
    """A technician reading the journal (``journalctl -u kiosk``, serve's log) reads every
    WARNING and ERROR line in Vietnamese and English from the catalogue, the reason first,
    then what follows or what to do: ``log.error("%s", both("store.log.…", …))``, the
    system's own English only on an INFO line beside it (``kiosk -v``). 67 lines were
    English on 2026-12-03 (the sync token file, the store's log not emptied, the backlog
    keys, the upkeep, the devices' retries…)."""
    caught = ast.parse('log.error("sync token file %s unreadable: %s", path, exc)\n'
                       'log.warning(f"{path}: not emptied")\n'
                       'logger.exception("%s", both("sync.log.cycle_failed"))\n'
                       'log.info("%s: the store file cannot be looked at: %s", path, exc)\n'
                       'self.status.error("%s")\n'
                       'logging.warning("device %s crashed", name)')
    assert [found for node in ast.walk(caught) if isinstance(node, ast.Call)
            if (found := logged_literals(node))] == [
        ["sync token file %s unreadable: %s"], [": not emptied"], ["device %s crashed"]]
    english = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                english += [(str(path.relative_to(ROOT)), node.lineno, literal)
                            for literal in logged_literals(node)]
    assert english == []


INSTALL_SCRIPTS = ("install-central.sh", "install-kiosk.sh")
SHOWN_BY_SCRIPT = re.compile(r"(?:^|[|&;{]|\bthen|\belse|\bdo)\s*(say|refuse|echo)\s+(\S.*)")
"""Where an install script shows a line to the technician: a command at the start of a
statement (``say``/``refuse`` are the scripts' own ``echo "install-…: $*"``)."""
VIETNAMESE_LETTERS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữự"
                         "ýỳỷỹỵ")


def script_lines(script: Path) -> list[str]:
    """A script's statements, each on one line (its ``\\``-continued lines joined)."""
    return script.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()


def test_every_line_the_install_scripts_show_carries_both_languages() -> None:
    """The technician installing a centre or a kiosk reads Vietnamese: every line the install
    scripts print (their progress as well as their refusals) says it in Vietnamese and in
    English, one after the other around " / "."""
    english_only = []
    for name in INSTALL_SCRIPTS:
        for line in script_lines(ROOT / "scripts" / name):
            if line.lstrip().startswith("#") or "() {" in line:
                continue  # a comment, or the definition of say/refuse itself
            for _, words in SHOWN_BY_SCRIPT.findall(line):
                if words.startswith(('"$', "'$")) or '" and $KEY")' in words:
                    continue  # a value handed on, not a sentence
                said = " ".join(words.replace('"', " ").split())  # as echo joins its words
                if " / " not in said or not VIETNAMESE_LETTERS & set(said.lower()):
                    english_only.append(f"{name}: {said}")
    assert english_only == []


def test_a_figure_is_grouped_as_each_reader_writes_numbers():
    """A Vietnamese reader takes "21,600 giây" for twenty-one and a bit seconds: a figure in
    a sentence is grouped in the reader's language, each half of a bilingual line its own,
    and a list of kiosks with their counts alike; saved for another process, the figure is
    kept as a number, not as one language's digits."""
    from kiosk.messages import Number, Tallies

    wait = Words("sync.waiting", {"seconds": Number(21600), "at": "03:25"})
    assert "21.600 giây" in wait("vi")
    assert "wait 21,600 s" in wait("en")
    line = both("central.checkpoints.imported", file="points.csv", added=Number(1234567),
                changed=Number(0), unchanged=Number(12))
    vietnamese, english = line.split(" / ")
    assert "1.234.567 điểm thêm mới" in vietnamese
    assert "1,234,567 points added" in english
    kiosks = Tallies([("KIOSK-A", 5000), ("KIOSK-B", 432)])
    assert text("sync.pending_elsewhere", "vi", count=Number(5432), first="KIOSK-A",
                kiosks=kiosks).startswith("5.432 bản ghi chờ gửi được ghi dưới mã trạm khác: "
                                          "KIOSK-A (5.000), KIOSK-B (432).")
    assert saved_words(wait.saved()) == Words("sync.waiting", {"seconds": 21600, "at": "03:25"})
