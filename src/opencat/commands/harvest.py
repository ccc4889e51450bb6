"""``opencat harvest``: declare sources, list them, run one now (for cron or a systemd timer) and
read its jobs, as the machine's operator."""

import argparse
import json
from typing import Any

from opencat.catalog import accounts, harvest_sources
from opencat.catalog.context import Catalog
from opencat.catalog.harvest_sources import SourceFields
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.commands.accounts import emit
from opencat.config import SettingsError
from opencat.domain.harvest_jobs import HarvestJob, HarvestSource, JobStatus


def _source_fields(source: HarvestSource, last: HarvestJob | None) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "slug": source.slug,
        "backend": source.backend,
        "url": source.url,
        "organization": source.organization_id,
        "owner": source.owner_id,
        "schedule": source.schedule,
        "active": source.active,
        "validation": source.validation.get("state"),
        "last_job": None
        if last is None
        else f"{last.status} {last.created_at.isoformat(timespec='seconds')}",
    }


def job_fields(job: HarvestJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": str(job.status),
        "created": job.created_at.isoformat(timespec="seconds"),
        "ended": None if job.ended_at is None else job.ended_at.isoformat(timespec="seconds"),
        "created_items": job.counts.created,
        "updated": job.counts.updated,
        "unchanged": job.counts.unchanged,
        "archived": job.counts.archived,
        "failed": job.counts.failed,
        "errors": "; ".join(error.get("message", "") for error in job.errors) or None,
    }


def add(catalog: Catalog, args: argparse.Namespace) -> None:
    try:
        config = json.loads(args.config) if args.config else {}
    except ValueError:
        raise SettingsError("--config must be a JSON object") from None  # bad usage: exit 2
    if not isinstance(config, dict):
        raise SettingsError("--config must be a JSON object")
    fields = SourceFields(
        name=args.name,
        url=args.url,
        backend=args.backend,
        description=args.description,
        config=config,
        owner=args.owner,
        # An id or a slug, as ``org add-member`` takes it (the slug was "does not exists").
        organization=None
        if args.organization is None
        else accounts.organization_named(catalog, args.organization).id,
        schedule=args.schedule,
    )
    view = harvest_sources.add_source(catalog, fields)
    emit(_source_fields(view.source, None), args.json)


def list_sources(catalog: Catalog, args: argparse.Namespace) -> None:
    page = harvest_sources.list_sources(catalog, 1, 10**6)
    emit([_source_fields(view.source, view.last_job) for view in page.items], args.json, "no harvest sources")


def run(catalog: Catalog, args: argparse.Namespace, options: RunOptions) -> None:
    job = run_source(catalog, args.source, options)
    emit(job_fields(job), args.json)
    if job.status == JobStatus.FAILED:
        raise ValueError(f"job {job.id} failed")


def jobs(catalog: Catalog, args: argparse.Namespace) -> None:
    page = harvest_sources.list_jobs(catalog, args.source, 1, args.limit)
    emit([job_fields(view.job) for view in page.items], args.json, "no jobs for this source yet")
