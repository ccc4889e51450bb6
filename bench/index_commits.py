"""What a commit of the search index costs: the index keeper's share of mixed traffic.

``python -m bench index-commits [--datasets 100,12000,50000] [--changes 200]``

For each catalog size: a new index of that many generated datasets (bench/generate.py, their
search documents built as the keeper builds them), then ``--changes`` of its documents put
again on a kept writer (the keeper's), committed after each change, then after every 10.
Process CPU counts every thread, Tantivy's merges included; the merges a run set off are waited
for before its clock stops. A minimal schema (an id and a title) in memory gives Tantivy's own
floor: what a commit costs whatever the documents and the disk.
"""

import argparse
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import tantivy

from bench.generate import Catalog
from opencat.catalog.indexing import search_document
from opencat.domain.search import SearchDocument
from opencat.search.index import WRITER_HEAP, SearchIndex, _document

BATCHES = (1, 10)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
    return usage.ru_utime + usage.ru_stime


def _documents(count: int) -> list[SearchDocument]:
    generated = Catalog(max(count, 1))
    organizations = {org.id: org for org in generated.organizations}
    now = datetime.now(UTC)
    return [
        search_document(dataset, resources, organizations.get(dataset.organization_id or ""), now)
        for dataset, resources in generated.datasets(0, count)
    ]


def _timed_commits(
    writer: tantivy.IndexWriter, again: Sequence[tantivy.Document], ids: Sequence[str], batch: int
) -> tuple[float, float]:
    """CPU and wall seconds to put ``again`` back, committing every ``batch`` changes."""
    cpu, wall = _cpu(), time.monotonic()
    for number, (doc, dataset_id) in enumerate(zip(again, ids, strict=True), start=1):
        writer.delete_documents_by_term("id", dataset_id)
        writer.add_document(doc)
        if number % batch == 0:
            writer.commit()
    writer.commit()
    writer.wait_merging_threads()  # the merges these commits set off count too
    return _cpu() - cpu, time.monotonic() - wall


def _report(label: str, changes: int, batch: int, cpu: float, wall: float) -> None:
    commits = -(-changes // batch)
    print(
        f"  {label:<34} {batch:>3} change(s)/commit: {1000 * cpu / commits:6.1f} CPU ms and "
        f"{1000 * wall / commits:6.1f} ms a commit, {1000 * cpu / changes:5.2f} CPU ms a change"
    )


def _opencat_index(directory: Path, size: int, changes: int) -> None:
    documents = _documents(max(size, changes))  # the changes put back documents it holds
    index = SearchIndex(directory)
    with index.writing() as batch:
        for document in documents:
            batch.put(document)
    again = [_document(document) for document in documents[:changes]]
    ids = [document.id for document in documents[:changes]]
    label = f"opencat's schema, {len(documents):,} datasets"
    for batch_size in BATCHES:
        writer = index.index.writer(WRITER_HEAP, 1)
        cpu, wall = _timed_commits(writer, again, ids, batch_size)
        _report(label, changes, batch_size, cpu, wall)


def _minimal_index(changes: int) -> None:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    builder.add_text_field("title")
    index = tantivy.Index(builder.build())  # in memory: no file written, nothing synced
    again, ids = [], []
    for number in range(changes):
        doc = tantivy.Document()
        doc.add_text("id", f"d{number}")
        doc.add_text("title", f"titre {number}")
        again.append(doc)
        ids.append(f"d{number}")
    for batch_size in BATCHES:
        cpu, wall = _timed_commits(index.writer(WRITER_HEAP, 1), again, ids, batch_size)
        _report("minimal schema, in memory", changes, batch_size, cpu, wall)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default="100,12000,50000", help="catalog sizes, comma-separated")
    parser.add_argument("--changes", type=int, default=200, help="documents put again in each run")
    options = parser.parse_args(argv)
    print(f"A commit of the search index ({options.changes} changes a run):")
    _minimal_index(options.changes)
    for size in (int(part) for part in options.datasets.split(",")):
        directory = Path(tempfile.mkdtemp(prefix="opencat-commits-"))
        try:
            _opencat_index(directory, size, options.changes)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
