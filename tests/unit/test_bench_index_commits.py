"""``python -m bench index-commits`` runs end to end on a small catalog (a benchmark no test ran,
bench/resources.py, once broke unnoticed): one line per schema, catalog size and changes a commit."""

import re

import pytest
from bench import index_commits

LINE = re.compile(
    r"^  (?P<label>.+?) +(?P<batch>\d+) change\(s\)/commit: +(?P<commit>[\d.]+) CPU ms and +[\d.]+ ms "
    r"a commit, +(?P<change>[\d.]+) CPU ms a change$"
)


def test_each_schema_and_size_is_timed_one_change_and_ten_changes_a_commit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    index_commits.main(["--datasets", "30", "--changes", "20"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "A commit of the search index (20 changes a run):"
    found = [LINE.match(line) for line in lines[1:]]
    assert all(found), lines
    rows = [(m["label"], int(m["batch"])) for m in found if m]
    assert rows == [
        ("minimal schema, in memory", 1),
        ("minimal schema, in memory", 10),
        ("opencat's schema, 30 datasets", 1),
        ("opencat's schema, 30 datasets", 10),
    ]
    for m in found:
        assert m
        assert float(m["commit"]) > 0
        # a change costs its commit's share: the whole commit alone, a tenth of it ten at a time
        assert float(m["change"]) == pytest.approx(float(m["commit"]) / int(m["batch"]), rel=0.05, abs=0.02)
