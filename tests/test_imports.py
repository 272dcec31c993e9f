"""How the package hangs together: no import cycles, and optional extras really optional.

The cycle check reads the source (every ``import`` anywhere in a module, and module names
handed over as strings, such as the command groups a CLI registers), so a lazy import inside
a function still counts: it is still a dependency, and two modules that need each other are
one module in two files. Imports under ``if TYPE_CHECKING:`` never run and do not count.

The extras check runs the real commands in a fresh interpreter in which one optional
package cannot be imported (a ``sys.meta_path`` finder refuses it), for every optional
package the project names.
"""

from __future__ import annotations

import ast
import configparser
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.commandline import EXTRAS
from tests.conftest import CCCD_AN

ROOT = Path(__file__).resolve().parent.parent


def kiosk_modules() -> dict[str, Path]:
    modules = {}
    for path in (ROOT / "kiosk").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (never executed)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def import_graph() -> dict[str, set[str]]:
    """Module → the kiosk modules it imports (anywhere in it) or names as a string."""
    modules = kiosk_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                targets = [node.value]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_kiosk_module_imports_one_that_imports_it_back() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_a_cycle_through_a_lazy_import_and_a_registered_name() -> None:
    graph = {"kiosk.cli": {"kiosk.sync.commands"}, "kiosk.sync.commands": {"kiosk.cli"},
             "kiosk.store": set()}
    assert cycles(graph) == [["kiosk.cli", "kiosk.sync.commands"]]
    real = import_graph()
    assert "kiosk.sync.commands" in real["kiosk.cli"]  # registered by name, as a string
    assert "kiosk.central.sqlite_storage" in real["kiosk.central.backends"]  # lazy import


def test_every_optional_package_is_named_with_the_extra_that_installs_it() -> None:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    extras = setup["options.extras_require"]
    for module, (package, extra) in EXTRAS.items():
        requirements = [line.split(">")[0].split("[")[0].split("<")[0].strip()
                        for line in extras[extra].splitlines() if line.strip()]
        assert package in requirements, f"{module}: {package} is not in the {extra} extra"


COMES_WITH = {"markupsafe": "jinja2", "starlette": "fastapi", "urllib3": "requests"}
"""Packages the code imports that another optional one installs (its own requirement)."""


def test_every_package_the_code_imports_is_required_or_an_extra_that_says_how_to_install_it(
        ) -> None:
    """A package imported without being in EXTRAS is not named when missing: the command
    ends in a traceback (segno, which draws `kiosk-central kiosks add --qr`'s code, did so
    after the kiosk was added)."""
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    required = {line.split(">")[0].strip().replace("-", "_")
                for line in setup["options"]["install_requires"].splitlines() if line.strip()}
    imported = set()
    for path in kiosk_modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.partition(".")[0])
    outside = imported - set(sys.stdlib_module_names) - {"kiosk", "__future__"} - required
    assert {"cbor2", "PySide6", "segno"} <= imported | required
    assert sorted(outside - set(EXTRAS) - set(COMES_WITH)) == []
    assert all(COMES_WITH[name] in EXTRAS for name in outside & set(COMES_WITH))


RUN_WITHOUT = textwrap.dedent("""
    import contextlib, importlib, io, json, sys
    blocked = sys.argv[1]

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if blocked and name.partition(".")[0] == blocked:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, Refuse())
    if blocked:
        try:
            importlib.import_module(blocked)
        except ModuleNotFoundError:
            pass
        else:
            raise SystemExit(f"the blocker let {blocked} through")
    results = {}
    for name in ("kiosk.cli", "kiosk.central.cli", "kiosk.devices.commands",
                 "kiosk.sync.commands", "kiosk.central.importer"):
        importlib.import_module(name)
    from kiosk import cli
    from kiosk.central import cli as central

    def run(main, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code
        return [code, out.getvalue(), err.getvalue()]

    config, db = sys.argv[2], sys.argv[3]
    results["help"] = run(cli.main, "--help")
    results["check"] = run(cli.main, "config", "check", "--config", config)
    results["scan"] = run(cli.main, "scan", sys.argv[4], "--config", config)
    results["sync"] = run(cli.main, "sync", "status", "--config", config)
    results["sync_offline"] = run(cli.main, "sync", "status", "--offline", "--config", config)
    results["doctor"] = run(cli.main, "doctor", "--config", config)
    results["central_help"] = run(central.main, "--help")
    results["central_new"] = run(central.main, "init", "--db", db)  # no command reads one not there
    results["central_add"] = run(central.main, "checkpoints", "add", "CP1", "--name", "Cổng",
                                 "--db", db)
    results["central_list"] = run(central.main, "kiosks", "list", "--db", db)
    results["central_qr"] = run(central.main, "kiosks", "add", "--checkpoint", "CP1",
                                "--name", "Làn 1", "--kiosk-id", "k2", "--qr", sys.argv[5],
                                "--server-url", "https://central.example.vn", "--db", db)
    results["central_qr_list"] = run(central.main, "kiosks", "list", "--db", db)
    results["central_serve"] = run(central.main, "serve", "--port", "0", "--db", "mysql://x")
    results["central_pg"] = run(central.main, "kiosks", "list", "--db",
                                "postgresql://kiosk@127.0.0.1:1/none?connect_timeout=1")
    print(json.dumps(results))
""")


def run_without(module: str, tmp_path: Path) -> dict[str, list]:
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n[sync]\ntoken = "t"\n'
                      'server_url = "http://127.0.0.1:9"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT, module, str(config),
         f"sqlite:///{tmp_path / 'central.db'}", CCCD_AN, str(tmp_path / "k2.png")],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize("module", sorted(EXTRAS))
def test_without_an_optional_package_every_entry_point_loads_and_the_core_commands_run(
        module: str, tmp_path: Path) -> None:
    results = run_without(module, tmp_path)
    assert results["help"][0] == 0 and "Examples" in results["help"][1]
    assert results["check"][0] == 0 and "OK — kiosk k1" in results["check"][1]
    assert results["scan"][0] == 0 and "ACCEPTED" in results["scan"][1]
    # what the store says needs no package: a kiosk whose entries leave on a USB stick
    assert results["sync_offline"][0] == 0 and "Pending" in results["sync_offline"][1]
    # the technician's check of a kiosk with uploads off (devices, store, files) runs whole
    assert results["doctor"][0] in (0, 1) and "passed" in results["doctor"][1]
    assert results["central_help"][0] == 0
    assert results["central_new"][0] == results["central_add"][0] == 0
    assert results["central_list"][0] == 0 and "No kiosks enrolled" in results["central_list"][1]
    package, extra = EXTRAS[module]
    needed_by = {"requests": "sync", "fastapi": "central_serve", "uvicorn": "central_serve",
                 "psycopg": "central_pg", "segno": "central_qr"}
    if module in needed_by:
        code, _, err = results[needed_by[module]]
        assert code == 2
        assert f"needs the {package} package" in err and f"checkpoint-kiosk[{extra}]" in err
        assert f"cần gói {package}" in err
    if module == "segno":  # refused before the kiosk is added, as a bad --qr path is
        assert "No kiosks enrolled" in results["central_qr_list"][1]


def test_with_every_package_the_commands_that_need_them_get_past_the_imports(
        tmp_path: Path) -> None:
    """The same script with nothing blocked: the failures above are the missing package's."""
    results = run_without("", tmp_path)
    assert "needs the" not in "".join(r[2] for r in results.values())
    assert results["sync"][0] == 0 and "unreachable" in results["sync"][1]  # port 9
    assert results["central_qr"][0] == 0 and "k2" in results["central_qr_list"][1]
    for refused in ("central_serve", "central_pg"):  # no such kind of database; no one on port 1
        code, _, err = results[refused]
        assert code == 3 and err.startswith("lỗi cơ sở dữ liệu trung tâm / storage error: ")


def test_a_scan_from_the_command_line_loads_only_what_a_scan_needs(tmp_path: Path) -> None:
    """``kiosk scan`` of a CCCD runs in a fresh interpreter (as a technician's command does)
    without loading the certificate CBOR reader, the device supervisor, the device kinds
    its config does not name (it names none), or the modules of the command groups it is
    not (their parsers are not even built): what it does not load, it does not pay for at
    every start."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n', encoding="utf-8")
    script = ("import json, sys\nfrom kiosk import cli\ncode = cli.main(sys.argv[1:])\n"
              "print(json.dumps([code, sorted(sys.modules)]))")
    proc = subprocess.run([sys.executable, "-c", script, "scan", CCCD_AN, "--config",
                           str(config)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    code, loaded = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0 and "ACCEPTED" in proc.stdout
    unneeded = {"cbor2", "kiosk.devices.supervisor", "kiosk.doctor", "kiosk.devices.commands",
                "kiosk.sync.commands", "kiosk.sync.enrol_commands",
                "kiosk.certificates.commands", "kiosk.certificates.signature", "tempfile",
                *(f"kiosk.devices.kinds.{kind}" for kind in
                  ("replay", "serial", "evdev", "hidraw", "camera", "wedge"))}
    assert unneeded & set(loaded) == set()
    assert {"kiosk.pipeline", "kiosk.store", "kiosk.sync.protocol"} <= set(loaded)
