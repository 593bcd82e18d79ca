"""The layers of shared/DESIGN.md, as import-linter contracts (pyproject.toml), and a composition
root that starts nothing when imported."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    """No arrow runs back up: domain < presentation < runtime < flows < composition root."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_importing_the_composition_root_has_no_side_effects(tmp_path):
    """No token, no database and no network needed to import it; nothing is created."""
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'should-not-exist.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", "import bot.app, handlers, views, models"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


TELEGRAM_CALLS = ("send_", "edit_message", "reply_", "answer", "forward_", "copy_", "set_my_", "delete_")


def test_flows_never_call_telegram_themselves():
    """Replies go through the boundary's queue (sent after the commit) and messages to anyone
    else through the outbox: no flow holds a Telegram call of its own."""
    import ast

    offenders = []
    for path in sorted((ROOT / "handlers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr.startswith(TELEGRAM_CALLS)
            ):
                owner = ast.unparse(node.func.value)
                if owner != "replies" and not owner.endswith(".replies") and owner != "current_scope().replies":
                    offenders.append(f"{path.name}:{node.lineno} {ast.unparse(node.func)}")
    assert offenders == []
