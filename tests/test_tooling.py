"""The tools a maintainer expects, run by the test command (and so by .ci/run): ruff's lint and
format, mypy strict on the domain, and the pinned lock files compiled from their .in files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing_and_every_line_fits_120_characters():
    result = run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_leaves_every_file_as_it_is():
    result = run(str(BIN / "ruff"), "format", "--no-cache", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(600)
def test_mypy_strict_on_the_domain():
    result = run(str(BIN / "mypy"), "models")  # settings, strict included, in pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr


PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def pins(path: Path) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(path.read_text())}


@pytest.mark.parametrize("name", ["requirements", "requirements-dev"])
def test_the_lock_is_compiled_from_its_in_file_with_hashes(name):
    wanted, locked = pins(ROOT / f"{name}.in"), pins(ROOT / f"{name}.txt")
    assert {k: locked.get(k) for k in wanted} == wanted, f"run pip-compile on {name}.in (see its first lines)"
    lines = [line for line in (ROOT / f"{name}.txt").read_text().splitlines() if not line.lstrip().startswith("#")]
    entries = re.split(r"\n(?=[A-Za-z0-9])", "\n".join(lines).strip())
    assert len(entries) == len(locked) and all("--hash=sha256:" in entry for entry in entries), "pins carry hashes"


def test_dev_lock_pins_the_runtime_set_to_the_same_versions():
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert {k: dev.get(k) for k in runtime} == runtime
