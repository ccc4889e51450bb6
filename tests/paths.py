"""Where the tests find the real data.gouv.fr metadata they load (copied from shared/realdata)."""

from pathlib import Path

REALDATA = Path(__file__).resolve().parent / "data" / "realdata"
INDICATOR = REALDATA / "search-indicator" / "www.data.gouv.fr-2022-12-02"
UDATA_FIXTURES = REALDATA / "udata-fixtures" / "results.json"
