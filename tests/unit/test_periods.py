"""The periods of the temporal coverage facet (pure)."""

from datetime import date

from opencat.domain.periods import CoverageCounts, Period, cuts, decade, offered, year


def test_decades_run_to_today_and_a_chosen_decade_or_year_opens_its_years() -> None:
    today = date(2026, 6, 15)
    decades = offered(None, today)
    assert decades[0] == Period(date(1800, 1, 1), date(1809, 12, 31))
    assert decades[-1] == decade(2026) == Period(date(2020, 1, 1), date(2029, 12, 31))
    assert all(p.is_decade and not p.is_year for p in decades)
    opened = offered((date(2010, 1, 1), date(2019, 12, 31)), today)
    assert opened[len(decades) :] == tuple(year(n) for n in range(2010, 2020))
    # A year of this decade: its years up to this one only.
    this_decade = offered((date(2021, 1, 1), date(2021, 12, 31)), today)
    assert this_decade[len(decades) :] == tuple(year(n) for n in range(2020, 2027))
    # Any other period, or one outside the decades offered, opens nothing.
    assert offered((date(2015, 3, 1), date(2016, 12, 31)), today) == decades
    assert offered((date(1700, 1, 1), date(1709, 12, 31)), today) == decades


def test_overlaps_are_the_coverages_started_by_the_end_minus_those_ended_before_the_start() -> None:
    periods = [decade(2000), decade(2010), year(2015)]
    points = cuts(periods)
    assert points == tuple(
        sorted({date(2000, 1, 1).toordinal(), date(2010, 1, 1).toordinal(), date(2020, 1, 1).toordinal(),
                date(2015, 1, 1).toordinal(), date(2016, 1, 1).toordinal()})
    )  # fmt: skip
    # Coverages: 2008-2012, 2015-2016, since 2019 (open), 1850.
    spans = [(date(2008, 6, 1), date(2012, 3, 31)), (date(2015, 1, 1), date(2016, 12, 31)),
             (date(2019, 9, 1), None), (date(1850, 1, 1), date(1850, 12, 31))]  # fmt: skip
    counts = CoverageCounts(
        points,
        tuple(sum(start.toordinal() < cut for start, _ in spans) for cut in points),
        tuple(sum(end is not None and end.toordinal() < cut for _, end in spans) for cut in points),
    )
    assert [counts.overlapping(p) for p in periods] == [1, 3, 1]
