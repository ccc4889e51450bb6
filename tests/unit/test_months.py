from datetime import UTC, datetime

from opencat.domain.months import last_months, stock_as_of


def test_thirteen_months_end_with_the_current_one_across_years() -> None:
    months = last_months(datetime(2026, 1, 15, tzinfo=UTC))
    assert [label for label, _ in months][:2] == ["2025-01", "2025-02"]
    assert months[-1] == ("2026-01", datetime(2026, 2, 1, tzinfo=UTC))
    assert months[-2][1] == datetime(2026, 1, 1, tzinfo=UTC)
    assert len(months) == 13


def test_a_recorded_stock_is_carried_forward_to_later_months() -> None:
    recorded = {label: 0 for label, _ in last_months(datetime(2026, 3, 2, tzinfo=UTC))}
    recorded.update({"2026-02": 2, "2026-03": 3})
    later = stock_as_of(recorded, datetime(2026, 11, 27, tzinfo=UTC))
    assert next(iter(later)) == "2025-11"
    assert list(later)[-1] == "2026-11"
    assert later["2026-01"] == 0
    assert later["2026-02"] == 2
    assert all(later[f"2026-{month:02d}"] == 3 for month in range(3, 12))
