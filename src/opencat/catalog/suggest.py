"""Type-ahead suggestions: datasets by title or acronym, file formats, MIME types (udata: udata/core/dataset/api.py, suggest)."""

from dataclasses import dataclass

from opencat.catalog import indexing
from opencat.catalog.context import Catalog
from opencat.catalog.references import default_mimes
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import suggestions as db_suggestions
from opencat.db.datasets import Summary
from opencat.domain.accounts import Organization, User
from opencat.domain.slugs import normalize_tag
from opencat.domain.spatial import Zone
from opencat.domain.transliteration import to_ascii

CANDIDATES = 5  # trigram candidates fetched per wanted suggestion, then checked exactly
# Candidates checked at most for one suggestion list: past it, what was found is the answer (a
# text whose every trigram is common but which few titles hold whole, at a million datasets).
MAX_CANDIDATES = 20_000


@dataclass(frozen=True, slots=True)
class Suggestion:
    dataset: Summary
    organization: Organization | None
    owner: User | None


def _folded(text: str | None) -> str:
    return to_ascii(text or "").casefold()


def suggest_datasets(catalog: Catalog, text: str, size: int) -> list[Suggestion]:
    """Public datasets whose title or acronym contains ``text`` (any case or accent), most followed first."""
    needle = _folded(text)
    if text and not needle.strip():
        return []  # an emoji, a mark or spaces alone: nothing to look for (every title holds "")
    indexing.sync(catalog)
    batch = max(size * CANDIDATES, 50)
    matching: list[Summary] = []
    with catalog.db.read() as conn:
        # Candidates come in batches until enough hold the text whole: lookalike titles (every
        # trigram, in another order) may fill the first batches, most followed first.
        for offset in range(0, MAX_CANDIDATES, batch):
            candidates = catalog.search.suggest(text, batch, offset)
            found = db_datasets.fetch_summaries(conn, candidates)
            matching += [
                found[dataset_id]
                for dataset_id in candidates
                if dataset_id in found
                and (
                    needle in _folded(found[dataset_id].title) or needle in _folded(found[dataset_id].acronym)
                )
            ]
            if len(matching) >= size or len(candidates) < batch:
                break
        # udata's order: most followed first, then the oldest (MongoDB's natural order; an
        # ObjectId starts with its creation time). The index gives its candidates in that order
        # (``sort_keys.suggest_key``); the ids settle what its key cannot tell apart.
        matching = sorted(matching, key=lambda summary: (-summary.followers, summary.id))[:size]
        organizations = db_accounts.fetch_organizations(
            conn, (d.organization_id for d in matching if d.organization_id)
        )
        owners = db_accounts.fetch_users(conn, (d.owner_id for d in matching if d.owner_id))
    return [
        Suggestion(
            dataset, organizations.get(dataset.organization_id or ""), owners.get(dataset.owner_id or "")
        )
        for dataset in matching
    ]


def _suggest_texts(choices: tuple[str, ...], text: str, size: int) -> list[str]:
    """udata's order: substring matches in configuration order, cut to ``size``, then by length."""
    return sorted([choice for choice in choices if text in choice][:size], key=len)


def suggest_formats(catalog: Catalog, text: str, size: int) -> list[str]:
    return _suggest_texts(catalog.uploads.extensions, text, size)


def suggest_mimes(text: str, size: int) -> list[str]:
    return _suggest_texts(default_mimes(), text, size)


def suggest_tags(catalog: Catalog, text: str, size: int) -> list[str]:
    """Tags of public datasets containing ``text`` (folded as tags are stored), most used first."""
    needle = normalize_tag(text)
    if not needle:
        return []
    with catalog.db.read() as conn:
        return db_suggestions.suggest_tags(conn, needle, size)


def suggest_zones(catalog: Catalog, text: str, size: int) -> list[Zone]:
    if not text.strip():
        return []
    with catalog.db.read() as conn:
        return db_suggestions.suggest_zones(conn, text.strip(), size)


def suggest_organizations(catalog: Catalog, text: str, size: int) -> list[Organization]:
    """Organizations whose name or acronym contains ``text``, most followed first, then the
    oldest (udata: ``-metrics.followers`` on its natural order)."""
    with catalog.db.read() as conn:
        found = db_suggestions.organizations_containing(conn, text, MAX_CANDIDATES)
    return sorted(found, key=lambda org: (-_followers(org), org.id))[:size]


def _followers(org: Organization) -> int:
    followers = org.metrics.get("followers") if isinstance(org.metrics, dict) else None
    return followers if isinstance(followers, int) and not isinstance(followers, bool) else 0
