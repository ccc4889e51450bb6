"""Real data.gouv.fr dataset answers (tests/data/realdata, search-indicator) served as pages of
udata's ``/api/1/datasets/`` on a local site."""

import json
from pathlib import Path
from typing import Any

from tests.harvest.site import Document, Site

DATASETS = Path(__file__).parents[1] / "data/realdata/search-indicator/www.data.gouv.fr-2022-12-02/datasets"


def real_datasets(count: int) -> list[dict[str, Any]]:
    paths = sorted(DATASETS.glob("*.json"))[:count]
    return [json.loads(path.read_text()) for path in paths]


def publish_pages(site: Site, base: str, datasets: list[dict[str, Any]], page_size: int) -> None:
    """``datasets`` as udata pages at ``/api/1/datasets/?page_size=N&page=P`` (first page without ``page``)."""
    site.documents.clear()
    pages = [datasets[start : start + page_size] for start in range(0, len(datasets), page_size)] or [[]]
    for number, data in enumerate(pages, start=1):
        following = f"{base}/api/1/datasets/?page_size={page_size}&page={number + 1}"
        envelope = {
            "data": data,
            "page": number,
            "page_size": page_size,
            "total": len(datasets),
            "next_page": following if number < len(pages) else None,
        }
        body = json.dumps(envelope).encode()
        site.documents[f"/api/1/datasets/?page_size={page_size}&page={number}"] = Document(body)
        if number == 1:
            site.documents[f"/api/1/datasets/?page_size={page_size}&sort=created"] = Document(body)
