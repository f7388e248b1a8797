"""The `vidrec` command as a shell user meets it, through the installed entry point: mistakes get one line and
exit code 2, `--version` answers, `serve --help` states the key rule, a catalog's open quote is warned about."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import vidrec
from vidrec.server.settings import MIN_KEY_CHARS

REPO = Path(__file__).resolve().parents[2]
ENTRY_POINT = Path(sys.executable).parent / "vidrec"


def vidrec_command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    assert ENTRY_POINT.exists(), f"the `vidrec` entry point is not installed beside {sys.executable}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([str(ENTRY_POINT), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_mistyped_flag_is_one_usage_line_with_the_right_spelling(tmp_path):
    line = _one_line(vidrec_command("search", "x", "--stroe", str(tmp_path)))
    assert "--stroe" in line and "did you mean --store?" in line and "vidrec search --help" in line


def test_a_mistyped_command_is_one_usage_line_with_the_right_spelling():
    line = _one_line(vidrec_command("serach", "x"))
    assert "serach" in line and "did you mean 'search'?" in line


def test_a_mistyped_subcommand_and_a_missing_argument_are_usage_errors_too():
    assert "did you mean 'show'?" in _one_line(vidrec_command("items", "shwo"))
    assert "Missing argument" in _one_line(vidrec_command("search"))
    assert "did you mean --json?" in _one_line(vidrec_command("search", "x", "--j"))
    missing_value = _one_line(vidrec_command("search", "x", "--k"))
    assert "'--k' requires an argument" in missing_value and "did you mean" not in missing_value


def test_version():
    proc = vidrec_command("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"vidrec {vidrec.__version__}"
    module = subprocess.run([sys.executable, "-m", "vidrec.cli", "--version"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert module.returncode == 0 and module.stdout == proc.stdout


def test_serve_help_states_how_long_a_key_must_be():
    proc = vidrec_command("serve", "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert f"at least {MIN_KEY_CHARS} characters" in text and "VIDREC_ADMIN_KEY" in text


def test_ingest_warns_about_a_quote_left_open(tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text('id,video,title\na,a.mp4,"Red dress, cotton\nb,b.mp4,Blue shirt\nc,c.mp4,Green hat\n',
                       encoding="utf-8")
    proc = vidrec_command("ingest", str(catalog), "--store", str(tmp_path / "store"), "--json")
    assert proc.returncode == 1, proc.stderr  # the videos do not exist: a per-row failure, not a crash
    summary = json.loads(proc.stdout)
    assert summary["total"] == 1
    assert [w for w in summary["warnings"] if "quote" in w] == [
        f"{catalog}:2: a quote opened on this line is closed only on line 4 (or never), so the lines in between "
        'were read as one cell; close the quote, or double a quote inside a cell ("")']
