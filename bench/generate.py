"""A synthetic data.gouv.fr-like catalog of any size, built from the real records' vocabulary.

Words, tags, organization names, resource titles, title and description lengths come from the real
records in ``tests/data/realdata`` (the 366 API v1 datasets of the search indicator and the 2,862 rows
of the 2020 catalogue export), drawn at their real frequencies, which follow Zipf's law. Place names,
zones and their weights (population) come from the geozones referential the project ships. About
1,000 organizations (the real names, then "Commune de ..."), each owning a Zipf share of the
datasets; 1-6 resources per dataset; a few percent private, archived or deleted; creation dates
spread over ten years; views and followers heavy-tailed.

Deterministic: dataset ``i`` depends only on the seed and ``i`` (and the catalog size, which spreads
the creation dates), so any slice can be generated alone, and two runs give the same ids. The objects
are the domain's own (``Dataset``, ``Resource``, ``Organization``, ``User``), so they are stored
through the project's codecs.

    python -m bench.generate --datasets 1000 --show 3   # a sample, as the codec stores it
"""

import argparse
import csv
import json
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from itertools import accumulate
from pathlib import Path

import orjson

from opencat.db.codec import dataset_to_doc, resource_to_doc
from opencat.domain.accounts import Organization, User
from opencat.domain.datasets import Badge, Checksum, Dataset, Resource, Spatial, TemporalCoverage
from opencat.domain.slugs import slugify

REALDATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "realdata"
SNAPSHOT = REALDATA / "search-indicator" / "www.data.gouv.fr-2022-12-02"
EXPORT = REALDATA / "catalog-export-2020-subset" / "export.csv"

ORGANIZATIONS = 1000
USERS = 2000
# The catalog's last day; creation dates spread over the ten years before it.
END = datetime(2024, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=3652)

_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")

# Weights (in %, or relative) of the choices that the real sample is too small to give.
LICENSES = {
    "lov2": 38, "fr-lo": 22, "notspecified": 20, "odc-odbl": 8, "cc-by": 4, "cc-by-sa": 2,
    "other-open": 2, "cc-zero": 1, "odc-by": 1, "other-pd": 1, "other-at": 1,
}  # fmt: skip
FORMATS = {
    "csv": 34, "json": 11, "zip": 8, "shp": 6, "geojson": 6, "pdf": 6, "xlsx": 6, "xls": 5,
    "html": 4, "txt": 3, "xml": 3, "ods": 2, "parquet": 2, "kml": 1, "gpkg": 1, "docx": 1, "api": 1,
}  # fmt: skip
MIMES = {
    "csv": "text/csv", "json": "application/json", "zip": "application/zip", "shp": "application/zip",
    "geojson": "application/geo+json", "pdf": "application/pdf", "txt": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel", "html": "text/html", "xml": "application/xml",
    "ods": "application/vnd.oasis.opendocument.spreadsheet", "parquet": "application/vnd.apache.parquet",
    "kml": "application/vnd.google-earth.kml+xml", "gpkg": "application/geopackage+sqlite3",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}  # fmt: skip
RESOURCE_TYPES = {"main": 90, "documentation": 5, "api": 2, "update": 1, "other": 2}
RESOURCE_COUNTS = {1: 25, 2: 20, 3: 20, 4: 15, 5: 10, 6: 10}
TAG_COUNTS = {0: 20, 1: 15, 2: 20, 3: 20, 4: 12, 5: 8, 6: 5}
GRANULARITIES = {"fr:commune": 45, "country": 25, "fr:departement": 12, "fr:region": 8, "fr:epci": 10}
SCHEMAS = (
    ("etalab/schema-irve-statique", "2.3.1"),
    ("etalab/schema-lieux-covoiturage", "0.2.6"),
    ("scdl/deliberations", "2.1.3"),
    ("scdl/subventions", "2.1.0"),
)
ORGANIZATION_BADGES = ("public-service", "certified", "local-authority")


class Weighted:
    """Items drawn at their weights (heaviest first), as ``random.choices`` does, but precomputed."""

    def __init__(self, weights: dict[str, float] | Counter[str]) -> None:
        ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
        self.items = [item for item, _ in ranked]
        self.cumulative = list(accumulate(weight for _, weight in ranked))

    def pick(self, rng: random.Random, k: int = 1) -> list[str]:
        return rng.choices(self.items, cum_weights=self.cumulative, k=k)

    def one(self, rng: random.Random) -> str:
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


def _int_weights(weights: dict[int, int]) -> tuple[list[int], list[int]]:
    return list(weights), list(accumulate(weights.values()))


@dataclass(frozen=True)
class Vocabulary:
    title_words: Weighted
    acronyms: Weighted  # the upper-case words of titles (PLF, SIRET, ZNIEFF...)
    description_words: Weighted
    tags: Weighted
    frequencies: Weighted
    organizations: list[tuple[str, str | None]]  # (name, acronym), most frequent first
    resource_titles: list[list[str]]  # the resource titles of each real dataset that has some
    title_lengths: list[int]
    description_lengths: list[int]
    places: Weighted  # commune names, by population
    zones: dict[str, Weighted]  # zone ids of each level, by population


def _real_records() -> Iterator[tuple[str, str, str | None]]:
    """(title, description, organization name) of every real record."""
    for path in sorted((SNAPSHOT / "datasets").glob("*.json")):
        record = json.loads(path.read_text())
        organization = record.get("organization") or {}
        yield record["title"], record.get("description") or "", organization.get("name")
    with EXPORT.open(newline="") as handle:
        for row in csv.DictReader(handle):
            yield row["title"], row["description"] or "", row["organization"] or None


def _zone_weights() -> tuple[Weighted, dict[str, Weighted]]:
    source = files("opencat.refdata") / "geozones" / "zones.json"
    zones = [zone for zone in json.loads(source.read_text()) if not zone.get("is_deleted")]
    places: Counter[str] = Counter()
    by_level: dict[str, Counter[str]] = {}
    for zone in zones:
        weight = (zone.get("population") or 0) + 1
        by_level.setdefault(zone["level"], Counter())[zone["_id"]] = weight
        if zone["level"] == "fr:commune":
            places[zone["nom"]] += weight
    return Weighted(places), {level: Weighted(weights) for level, weights in by_level.items()}


@cache
def vocabulary() -> Vocabulary:
    title_words: Counter[str] = Counter()
    description_words: Counter[str] = Counter()
    organizations: Counter[str] = Counter()
    title_lengths: list[int] = []
    description_lengths: list[int] = []
    for title, description, organization in _real_records():
        words = _WORD.findall(title)
        title_words.update(words)
        title_lengths.append(len(words))
        words = _WORD.findall(description)
        description_words.update(words)
        description_lengths.append(len(words))
        if organization:
            organizations[organization.strip()] += 1
    tags: Counter[str] = Counter()
    frequencies: Counter[str] = Counter()
    resource_titles: list[list[str]] = []
    for path in sorted((SNAPSHOT / "datasets").glob("*.json")):
        record = json.loads(path.read_text())
        tags.update(record.get("tags") or [])
        frequencies[record.get("frequency") or "unknown"] += 1
        titles = [r["title"] for r in record.get("resources") or [] if r.get("title")]
        if titles:
            resource_titles.append(titles)
    acronyms = {}
    for path in sorted((SNAPSHOT / "organizations").glob("*.json")):
        record = json.loads(path.read_text())
        acronyms[record["name"].strip()] = record.get("acronym")
    places, zones = _zone_weights()
    return Vocabulary(
        title_words=Weighted(title_words),
        acronyms=Weighted(Counter({w: n for w, n in title_words.items() if len(w) > 1 and w.isupper()})),
        description_words=Weighted(description_words),
        tags=Weighted(tags),
        frequencies=Weighted(frequencies),
        organizations=[(name, acronyms.get(name)) for name, _ in organizations.most_common()],
        resource_titles=resource_titles,
        title_lengths=[n for n in title_lengths if n > 0],
        description_lengths=description_lengths,
        places=places,
        zones=zones,
    )


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _heavy_tail(rng: random.Random, scale: float, alpha: float) -> int:
    """0 most of the time, now and then very large (Pareto)."""
    return int(scale * (rng.paretovariate(alpha) - 1))


class Catalog:
    """``count`` datasets of ``ORGANIZATIONS`` organizations and ``USERS`` users, from ``seed``."""

    def __init__(self, count: int, seed: int = 0) -> None:
        self.count = count
        self.seed = seed
        self.words = vocabulary()
        rng = random.Random(seed)
        self._machine = _hex(rng, 40)
        self.organizations = [self._organization(rng, rank) for rank in range(ORGANIZATIONS)]
        self.users = [self._user(rng, number) for number in range(USERS)]
        # Zipf: the organization of rank r owns a share proportional to 1 / r.
        self._organization_weights = list(accumulate(1 / (rank + 1) for rank in range(ORGANIZATIONS)))
        self._licenses = Weighted(LICENSES)
        self._formats = Weighted(FORMATS)
        self._types = Weighted(RESOURCE_TYPES)
        self._granularities = Weighted(GRANULARITIES)
        self._resource_counts = _int_weights(RESOURCE_COUNTS)
        self._tag_counts = _int_weights(TAG_COUNTS)
        self._rng = random.Random()

    def _object_id(self, moment: datetime, number: int) -> str:
        """A MongoDB ObjectId, as udata makes them: creation time, a fixed machine part, a counter."""
        return f"{int(moment.timestamp()):08x}{self._machine}{number & 0xFFFFFF:06x}"

    def _organization(self, rng: random.Random, rank: int) -> Organization:
        real = self.words.organizations
        if rank < len(real):
            name, acronym = real[rank]
        else:
            name, acronym = f"Commune de {self.words.places.one(rng)}", None
        created = END - SPAN - timedelta(days=rng.randrange(1000))
        return Organization(
            id=self._object_id(created, 0xF00000 + rank),
            name=name,
            slug=f"{slugify(name, 80) or 'organization'}-{rank}",
            created_at=created,
            last_modified=created + timedelta(days=rng.randrange(3000)),
            acronym=acronym,
            description=" ".join(self.words.description_words.pick(rng, 30)),
            url=f"https://www.example.org/{rank}",
            logo_thumbnail=f"https://static.data.gouv.fr/avatars/{rank % 100:02d}/{rank}-100.png",
            badges=tuple(rng.sample(ORGANIZATION_BADGES, rng.randrange(3))),
            metrics={"datasets": 0, "followers": _heavy_tail(rng, 5, 1.5)},
        )

    def _user(self, rng: random.Random, number: int) -> User:
        first, last = (word.capitalize() for word in self.words.title_words.pick(rng, 2))
        created = END - SPAN + timedelta(days=rng.randrange(3000))
        return User(
            id=self._object_id(created, 0xE00000 + number),
            email=f"user{number}@example.org",
            first_name=first,
            last_name=last,
            slug=f"{slugify(f'{first} {last}', 60) or 'user'}-{number}",
            created_at=created,
        )

    def datasets(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[Dataset, list[Resource]]]:
        for number in range(start, self.count if stop is None else stop):
            yield self.dataset(number)

    def dataset(self, number: int) -> tuple[Dataset, list[Resource]]:
        rng = self._rng
        rng.seed((self.seed << 40) + number)
        words = self.words
        # Creation dates grow with the number (as a catalog fills up), with some jitter.
        created = END - SPAN + SPAN * ((number + rng.random()) / self.count)
        modified = min(END, created + timedelta(days=_heavy_tail(rng, 30, 1.2)))
        title = self._title(rng)
        owner_id = organization_id = None
        if rng.random() < 0.95:
            index = rng.choices(range(ORGANIZATIONS), cum_weights=self._organization_weights)[0]
            organization_id = self.organizations[index].id
        else:
            owner_id = self.users[rng.randrange(USERS)].id
        flag = rng.random()
        followers = _heavy_tail(rng, 2, 1.3)
        license_id = self._licenses.one(rng)
        dataset = Dataset(
            id=self._object_id(created, number),
            slug=f"{slugify(title, 100) or 'dataset'}-{number}",
            title=title,
            description=self._description(rng),
            created_at_internal=created,
            last_modified_internal=modified,
            acronym=words.acronyms.one(rng) if rng.random() < 0.05 else None,
            license=license_id,
            frequency=words.frequencies.one(rng),
            temporal_coverage=self._coverage(rng),
            spatial=self._spatial(rng),
            tags=self._tags(rng),
            private=flag < 0.02,
            archived=modified if 0.02 <= flag < 0.04 else None,
            deleted=modified if 0.04 <= flag < 0.045 else None,
            extras={"harvest:source": "bench"} if rng.random() < 0.1 else {},
            metrics={
                "views": _heavy_tail(rng, 20, 1.1),
                "followers": followers,
                "reuses": _heavy_tail(rng, 0.5, 1.5),
                "discussions": _heavy_tail(rng, 0.3, 1.5),
            },
            badges=(Badge("hvd", created),) if rng.random() < 0.01 else (),
            owner_id=owner_id,
            organization_id=organization_id,
            followers=followers,
        )
        return dataset, self._resources(rng, dataset)

    def _title(self, rng: random.Random) -> str:
        words = self.words
        length = max(1, min(20, rng.choice(words.title_lengths)))
        title = " ".join(words.title_words.pick(rng, length))
        if rng.random() < 0.25:
            title += f" - {words.places.one(rng)}"
        if rng.random() < 0.3:
            title += f" {rng.randrange(2000, 2025)}"
        return title[:1].upper() + title[1:]

    def _description(self, rng: random.Random) -> str:
        words = self.words
        length = rng.choice(words.description_lengths) or rng.randrange(5, 20)
        picked = words.description_words.pick(rng, length)
        if rng.random() < 0.2:
            picked.insert(rng.randrange(len(picked) + 1), words.places.one(rng))
        sentences = [" ".join(picked[i : i + 14]) for i in range(0, len(picked), 14)]
        return ". ".join(sentence[:1].upper() + sentence[1:] for sentence in sentences) + "."

    def _tags(self, rng: random.Random) -> tuple[str, ...]:
        sizes, cumulative = self._tag_counts
        count = rng.choices(sizes, cum_weights=cumulative)[0]
        tags = set(self.words.tags.pick(rng, count))
        if count and rng.random() < 0.2:
            tags.add(slugify(self.words.places.one(rng)))
        return tuple(sorted(tag for tag in tags if tag))

    def _coverage(self, rng: random.Random) -> TemporalCoverage | None:
        if rng.random() >= 0.25:
            return None
        start = date(rng.randrange(1990, 2023), 1, 1)
        return TemporalCoverage(start, date(start.year + rng.randrange(1, 5), 12, 31))

    def _spatial(self, rng: random.Random) -> Spatial | None:
        if rng.random() >= 0.35:
            return None
        granularity = self._granularities.one(rng)
        zones = self.words.zones
        level = granularity if granularity in zones else "country"
        return Spatial(zones=(zones[level].one(rng),), granularity=granularity)

    def _resources(self, rng: random.Random, dataset: Dataset) -> list[Resource]:
        sizes, cumulative = self._resource_counts
        count = rng.choices(sizes, cum_weights=cumulative)[0]
        # Titles from one real dataset's resources, so that each real dataset weighs the same.
        titles = rng.choice(self.words.resource_titles)
        return [self._resource(rng, dataset, position, titles) for position in range(count)]

    def _resource(self, rng: random.Random, dataset: Dataset, position: int, titles: list[str]) -> Resource:
        fmt = self._formats.one(rng)
        created = dataset.created_at_internal + timedelta(days=rng.randrange(30))
        hosted = rng.random() < 0.3
        url = (
            f"https://static.data.gouv.fr/resources/{dataset.slug[:50]}/{position}.{fmt}"
            if hosted
            else f"https://www.example.org/data/{dataset.id}/{position}.{fmt}"
        )
        checked = created + timedelta(days=rng.randrange(60))
        return Resource(
            id=_uuid(rng),
            title=rng.choice(titles),
            url=url,
            created_at_internal=created,
            last_modified_internal=max(created, dataset.last_modified_internal),
            filetype="file" if hosted else "remote",
            type=self._types.one(rng),
            description=" ".join(self.words.description_words.pick(rng, 12)) if rng.random() < 0.3 else None,
            format=fmt,
            checksum=Checksum("sha1", _hex(rng, 160)) if hosted else None,
            filesize=rng.randrange(1_000, 50_000_000) if hosted else None,
            mime=MIMES.get(fmt),
            extras={
                "check:available": True,
                "check:status": 200,
                "check:date": checked.isoformat(),
                "check:headers:content-type": MIMES.get(fmt, "application/octet-stream"),
            }
            if rng.random() < 0.6
            else {},
            schema=dict(zip(("name", "version"), rng.choice(SCHEMAS), strict=True))
            if rng.random() < 0.03
            else None,
            metrics={"views": _heavy_tail(rng, 5, 1.2)},
        )


def _stored_sizes(catalog: Catalog, sample: Sequence[tuple[Dataset, list[Resource]]]) -> str:
    sizes = sorted(
        len(orjson.dumps(dataset_to_doc(d))) + sum(len(orjson.dumps(resource_to_doc(r))) for r in rs)
        for d, rs in sample
    )
    resources = sum(len(rs) for _, rs in sample)
    return (
        f"{len(sample)} datasets, {resources / len(sample):.2f} resources each, stored JSON per dataset "
        f"(with its resources) median {sizes[len(sizes) // 2]} B, p95 {sizes[int(len(sizes) * 0.95)]} B"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=1, help="print this many datasets as stored")
    args = parser.parse_args(argv)
    catalog = Catalog(args.datasets, args.seed)
    sample = list(catalog.datasets())
    print(_stored_sizes(catalog, sample))
    for dataset, resources in sample[: args.show]:
        print(orjson.dumps(dataset_to_doc(dataset), option=orjson.OPT_INDENT_2).decode())
        print(orjson.dumps(resource_to_doc(resources[0]), option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
