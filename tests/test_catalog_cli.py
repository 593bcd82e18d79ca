"""`python -m bot catalog import FILE.csv`, run as an admin would."""

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{db}", "DEFAULT_LOCALE": "en"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_import_reports_bad_lines_by_number_then_imports_a_good_file(tmp_path):
    db = tmp_path / "cli.sqlite3"
    assert _run("migrate", db=db).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price,currency,active\nA,Good,1.00,EUR,yes\nB,Free,0,EUR,yes\nC,Negative,-2,EUR,yes\n")
    failed = _run("catalog", "import", str(bad), db=db)
    assert failed.returncode == 1
    assert "line 3: the price must be above zero (it is 0)" in failed.stderr
    assert "line 4: the price must be above zero (it is -2)" in failed.stderr
    assert "Nothing was imported: 2 problems." in failed.stderr
    assert sqlite3.connect(db).execute("select count(*) from products").fetchone() == (0,)

    done = _run("catalog", "import", str(ROOT / "bot" / "sample_catalog.csv"), db=db)
    assert done.returncode == 0, done.stderr
    assert "Catalog imported: 7 new products, 0 products updated." in done.stdout
    assert sqlite3.connect(db).execute("select unit_price_minor from products where sku='TM7'").fetchone() == (154900,)
    names = "select name_it, name_de, name_es, name_fr from products where sku='SPAT'"
    assert sqlite3.connect(db).execute(names).fetchone() == ("Spatola", "Spatel", "Espátula", "Spatule")
