"""The catalog's writes read the same under any locale: Python 3.11's sqlite3 tells an INSERT by
lower-casing its first word with the C library's locale, and under a Turkish one ("I" is not the
upper case of "i") an INSERT's row count was -1: an upload reserved keys for ever (860,000 rows
in ten minutes, never answered), a repeated follow counted again, a page's form was taken for
one already sent."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def turkish(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Turkish locale, compiled into a folder of the test's (Debian's
    ``locales`` package holds its source; .ci/run installs it)."""
    if shutil.which("localedef") is None or not Path("/usr/share/i18n/locales/tr_TR").exists():
        pytest.skip("needs localedef and Debian's locales package (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("locales")
    subprocess.run(
        ["localedef", "-i", "tr_TR", "-f", "UTF-8", str(folder / "tr_TR.UTF-8")],
        check=False,  # it warns (exit 1) about characters it cannot map, and still writes it
        capture_output=True,
    )
    assert (folder / "tr_TR.UTF-8").exists()
    return {"LOCPATH": str(folder), "LC_ALL": "tr_TR.UTF-8", "LANG": "tr_TR.UTF-8"}


def test_the_locale_is_one_that_broke_the_row_counts(turkish: dict[str, str]) -> None:
    """The test's premise, so that it cannot pass for want of the locale."""
    probe = (
        "import sqlite3; c = sqlite3.connect(':memory:'); c.execute('create table t(k)'); "
        "print(c.execute('INSERT INTO t VALUES (1)').rowcount)"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **turkish},
        capture_output=True,
        text=True,
        check=True,
    )
    if sys.version_info < (3, 13):
        assert answer.stdout.strip() == "-1"


def test_inserts_are_told_apart_under_a_turkish_locale(
    turkish: dict[str, str], tmp_path: Path, migrated_sqlite_file: Path
) -> None:
    shutil.copyfile(migrated_sqlite_file, tmp_path / "opencat.db")
    answer = subprocess.run(
        [sys.executable, "-m", "tests.db.locale_child", str(tmp_path)],
        # This tree's opencat (its ``src``) before any other installed: the venv's editable
        # install may name another checkout's.
        env={**os.environ, **turkish, "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT)))},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout) == {
        "follow": [[1, True], [1, False]],  # was [2, True]: counted again
        "reserve": [True, False],  # was False, False: no key was ever free
        "claim": [True, False],  # was False: the form taken for one sent already
    }
