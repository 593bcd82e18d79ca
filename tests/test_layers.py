"""The domain layer stays free of Telegram, so every rule can be tested without it."""

import ast
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"


def test_models_never_import_telegram():
    offenders = []
    for path in MODELS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in {"telegram", "bot", "handlers"}]
    assert offenders == []


def test_importing_the_composition_root_has_no_side_effects(tmp_path):
    """No token, no database and no network needed to import it; nothing is created."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'should-not-exist.sqlite3'}"
    done = subprocess.run([sys.executable, "-c", "import bot.app, handlers, models"], cwd=MODELS.parent, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
