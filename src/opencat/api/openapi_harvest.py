"""JSON Schemas of harvesting's answers (``api/harvest.py``), merged into the document's
``components.schemas``."""

from opencat.api.openapi_schemas import (
    BOOLEAN,
    DATASET_REFERENCE,
    DATE_TIME,
    INTEGER,
    MAYBE_DATE_TIME,
    MAYBE_OBJECT,
    OBJECT,
    STRING,
    TEXT,
    Schema,
    array,
    nullable,
    page_of,
    record,
    ref,
)

_ERROR = record(
    {
        "created_at": MAYBE_DATE_TIME,
        "message": TEXT,
        "details": {
            **TEXT,
            "description": "The piece of source at fault; null unless the caller manages the source",
        },
    }
)
_EXTRA_CONFIG = record({"key": STRING, "label": STRING, "description": STRING, "default": TEXT})
_JOB = record(
    {
        "id": STRING,
        "created": DATE_TIME,
        "started": MAYBE_DATE_TIME,
        "ended": MAYBE_DATE_TIME,
        "status": {
            "type": "string",
            "enum": ["pending", "initializing", "initialized", "processing", "done", "done-errors", "failed"],
        },
        "errors": array(_ERROR),
        "items": record(
            {
                "rel": STRING,
                "href": STRING,
                "type": STRING,
                "total": {"type": ["integer", "null"]},
                "by_status": record(
                    dict.fromkeys(("pending", "started", "done", "failed", "skipped", "archived"), INTEGER)
                ),
                "by_type": record(dict.fromkeys(("dataset", "dataservice"), INTEGER)),
            }
        ),
        "source": record({"id": STRING, "class": STRING}),
        "counts": record(dict.fromkeys(("created", "updated", "unchanged", "archived", "failed"), INTEGER)),
    }
)
_SOURCE = record(
    {
        "id": STRING,
        "name": STRING,
        "slug": STRING,
        "description": TEXT,  # null when none was given, as udata's
        "url": STRING,
        "backend": STRING,
        "config": OBJECT,
        "created_at": DATE_TIME,
        "last_modified": DATE_TIME,
        "deleted": MAYBE_DATE_TIME,
        "active": BOOLEAN,
        "autoarchive": BOOLEAN,
        "schedule": TEXT,
        "validation": record(
            {
                "state": {"type": "string", "enum": ["pending", "accepted", "refused"]},
                "by": nullable(ref("UserReference")),
                "on": MAYBE_DATE_TIME,
                "comment": TEXT,
            }
        ),
        "last_job": nullable(ref("HarvestJob")),
        "owner": nullable(ref("UserReference")),
        "organization": nullable(ref("OrganizationReference")),
        "permissions": record(
            dict.fromkeys(("edit", "delete", "run", "schedule", "preview", "validate"), BOOLEAN)
        ),
    }
)
_ITEM = record(
    {
        "remote_id": TEXT,
        "remote_url": TEXT,
        "status": {"type": "string", "enum": ["pending", "started", "done", "failed", "skipped", "archived"]},
        "action": {"type": "string", "enum": ["created", "updated", "archived", "deleted", "failed"]},
        "created": DATE_TIME,
        "started": MAYBE_DATE_TIME,
        "ended": MAYBE_DATE_TIME,
        "dataset": nullable(DATASET_REFERENCE),
        "dataservice": {"type": "null"},
        "errors": array(_ERROR),
        "logs": array(OBJECT),
        "args": array(STRING),
        "kwargs": OBJECT,
    }
)
_PREVIEWED_DATASET = record(
    {
        "title": STRING,
        "slug": STRING,
        "description": STRING,
        "acronym": TEXT,
        "tags": array(STRING),
        "license": TEXT,
        "frequency": TEXT,
        "temporal_coverage": nullable(record({"start": TEXT, "end": TEXT})),
        "spatial": nullable(record({"geom": MAYBE_OBJECT, "zones": array(STRING), "granularity": STRING})),
        "extras": OBJECT,
        "harvest": MAYBE_OBJECT,
        "resources": array(
            record(
                {
                    "title": STRING,
                    "url": STRING,
                    "type": STRING,
                    "format": TEXT,
                    "description": TEXT,
                    "mime": TEXT,
                    "filesize": {"type": ["integer", "null"]},
                    "checksum": nullable(record({"type": STRING, "value": STRING})),
                    "harvest": MAYBE_OBJECT,
                }
            )
        ),
    }
)
_PREVIEW_ITEM = record(
    {
        "remote_id": TEXT,
        "remote_url": TEXT,
        "status": {"type": "string", "enum": ["done", "failed", "skipped"]},
        "action": {"type": "string", "enum": ["create", "update", "unchanged", "fail"]},
        "created": DATE_TIME,
        "started": DATE_TIME,
        "ended": DATE_TIME,
        "dataset": nullable(_PREVIEWED_DATASET),
        "dataservice": {"type": "null"},
        "errors": array(_ERROR),
        "logs": array(OBJECT),
        "args": array(STRING),
        "kwargs": OBJECT,
    }
)
_JOB_PREVIEW = record(
    {
        "id": {"type": "null"},
        "created": DATE_TIME,
        "started": DATE_TIME,
        "ended": DATE_TIME,
        "status": {"type": "string", "enum": ["done", "done-errors", "failed"]},
        "errors": array(_ERROR),
        "source": nullable(record({"id": STRING, "class": STRING})),
        "items": array(_PREVIEW_ITEM),
    }
)
_BACKEND = record(
    {
        "id": STRING,
        "label": STRING,
        "filters": array(OBJECT),
        "features": array(OBJECT),
        "extra_configs": array(_EXTRA_CONFIG),
    }
)


def harvest_components() -> dict[str, Schema]:
    return {
        "HarvestSource": _SOURCE,
        "HarvestSourcePage": page_of(ref("HarvestSource")),
        "HarvestJob": _JOB,
        "HarvestJobPage": page_of(ref("HarvestJob")),
        "HarvestItemPage": page_of(_ITEM),
        "HarvestBackendList": array(_BACKEND),
        "HarvestJobPreview": _JOB_PREVIEW,
        "CronExpression": {"type": "string", "description": "minute hour day-of-month month day-of-week"},
    }
