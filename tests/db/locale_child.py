"""Run by tests/db/test_locales.py in a child process under the locale it is testing (never
collected: no test here): ``python -m tests.db.locale_child DATA_DIR`` prints, as JSON, what the
writes that ask whether an INSERT inserted answered, each made twice."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from opencat.catalog.curation import follow
from opencat.config import Settings
from opencat.db import form_submissions, pending_files
from opencat.wiring import build_catalog
from tests.factories import make_dataset, make_user


def main(data_dir: Path) -> dict[str, list[object]]:
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'opencat.db'}")
    catalog = build_catalog(settings)
    owner, reader = make_user(catalog), make_user(catalog, first_name="Bob")
    dataset = make_dataset(catalog, owner).dataset
    now = datetime.now(UTC)
    seen: dict[str, list[object]] = {"follow": [], "reserve": [], "claim": []}
    for _ in range(2):
        seen["follow"].append(list(follow(catalog, reader.actor(catalog), dataset.id)))
        with catalog.db.write() as conn:
            seen["reserve"].append(pending_files.reserve(conn, "folder/key.csv", now))
            seen["claim"].append(form_submissions.claim(conn, "a" * 64, reader.user.id, now))
    return seen


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
