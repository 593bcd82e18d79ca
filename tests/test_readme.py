"""The README's set-up commands are the ones CI runs and the Procfile uses."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    readme = (ROOT / "README.md").read_text()
    assert f"\n{ci_command}\n" in readme
    assert ci_command.endswith("-m pytest")


def test_readme_run_command_migrates_then_runs_and_procfile_does_the_same():
    readme = (ROOT / "README.md").read_text()
    assert (
        "\npython3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt && .venv/bin/python -m "
        "bot migrate && .venv/bin/python -m bot run\n" in readme
    )
    assert (ROOT / "Procfile").read_text().splitlines() == [
        "release: python -m bot migrate",
        "web: python -m bot webhook",
        "clock: python -m bot clock",
    ]


def test_the_pictures_the_readme_shows_are_in_the_repository():
    import re

    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert pictures, "the sandbox section shows its screenshots"
    assert [p for p in pictures if not (ROOT / p).is_file()] == []
