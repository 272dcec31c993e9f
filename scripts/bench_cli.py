"""Cold start of the commands: a fresh interpreter per run, this tree beside an older one.

Each command runs ``--runs`` times as a new process (what a technician or a cron job pays:
the interpreter, the imports, the work), alternating between the two trees so load on the
machine falls on both alike. Wall time and CPU time (user + system, which other work on the
machine disturbs far less) are both reported. The older tree is ``git archive`` of
``--baseline`` unpacked in a temporary folder; both run with the same interpreter and
packages, only ``PYTHONPATH`` differs. The heaviest imports of this tree come from
``python -X importtime``.

Bytecode: pip compiles an installed kiosk's modules to ``.pyc`` at install time, so a
command never compiles its own source. The runs here do the same: each tree gets its own
``PYTHONPYCACHEPREFIX`` filled by the warm-up runs, whatever ``PYTHONDONTWRITEBYTECODE`` says
(it is set on the development machine, where it made every run compile the kiosk afresh:
+60–70 ms of CPU for ``kiosk scan``). ``--compile-each-run`` measures that case instead.

    .venv/bin/python scripts/bench_cli.py [--baseline ba4326c] [--runs 20]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CCCD = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CONFIG = '[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\n[store]\npath = "kiosk.db"\n'


def commands(config: Path) -> dict[str, list[str]]:
    return {
        "python -c pass": ["-c", "pass"],  # the floor: the interpreter and site alone
        "kiosk --help": ["-m", "kiosk.cli", "--help"],
        "kiosk config check": ["-m", "kiosk.cli", "config", "check", "--config", str(config)],
        "kiosk scan CCCD": ["-m", "kiosk.cli", "scan", CCCD, "--config", str(config)],
        "kiosk-central --help": ["-m", "kiosk.central.cli", "--help"],
    }


BYTECODE: dict[Path, Path | None] = {}
"""Each tree's bytecode folder (None: compile the source at every run)."""


def environment(tree: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if BYTECODE.get(tree) is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE[tree])
    return env


def run(tree: Path, args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of one fresh process."""
    env = environment(tree)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, cwd=tree, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heaviest_imports(args: list[str], count: int = 8) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the top-level imports under kiosk and the heaviest others."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=ROOT,
                          env=environment(ROOT), capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[12:].split("|"))
        rows.append((int(cumulative), name))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="ba4326c", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--compile-each-run", action="store_true",
                        help="no bytecode kept: every run compiles the kiosk's source")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        old = Path(tmp) / "baseline"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.baseline, "kiosk"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        trees = {"this tree": ROOT, f"baseline {args.baseline}": old}
        configs = {}
        for name, tree in trees.items():
            BYTECODE[tree] = None if args.compile_each_run else \
                Path(tmp) / "bytecode" / name.replace(" ", "-")
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            configs[name] = folder / "config.toml"
            configs[name].write_text(CONFIG, encoding="utf-8")
            for argv in commands(configs[name]).values():  # file cache, bytecode, the store
                run(tree, argv)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        load_before = os.getloadavg()[0]
        for _ in range(args.runs):
            for name, tree in trees.items():
                for label, argv in commands(configs[name]).items():
                    times.setdefault((label, name), []).append(run(tree, argv))
        print(f"# {platform.node()}: {os.cpu_count()} cores, {platform.platform()}, "
              f"Python {platform.python_version()}; {args.runs} runs each, interleaved; "
              f"{'source compiled at every run' if args.compile_each_run else 'bytecode kept'}"
              f"; load average {load_before:.2f} → {os.getloadavg()[0]:.2f}")
        print(f"{'command':22} {'tree':20} {'wall median':>12} {'wall min':>9} "
              f"{'CPU median':>11} {'CPU min':>8}")
        for (label, name), samples in times.items():
            wall = [w for w, _ in samples]
            cpu = [c for _, c in samples]
            print(f"{label:22} {name:20} {statistics.median(wall) * 1000:9.0f} ms "
                  f"{min(wall) * 1000:6.0f} ms {statistics.median(cpu) * 1000:8.0f} ms "
                  f"{min(cpu) * 1000:5.0f} ms")
        print("\nheaviest imports of this tree (cumulative, python -X importtime):")
        for label in ("kiosk --help", "kiosk scan CCCD"):
            argv = commands(configs["this tree"])[label]
            top = ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in heaviest_imports(argv))
            print(f"  {label}: {top}")


if __name__ == "__main__":
    main()
