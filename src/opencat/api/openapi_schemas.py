"""JSON Schemas of what the API answers, as ``components.schemas`` of the OpenAPI document.

They follow ``api/serializers.py`` field by field (udata: udata/core/dataset/api_fields.py); the
schemathesis test in tests/api/test_openapi_fuzz.py checks real answers against them.
"""

from typing import Any

from opencat.api.serializers import DATASET_DEFAULT_FIELDS, METRIC_KEYS
from opencat.api.v2 import FIELDS as V2_FIELDS

Schema = dict[str, Any]
STRING: Schema = {"type": "string"}
TEXT: Schema = {"type": ["string", "null"]}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
MAYBE_DATE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
BOOLEAN: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}
OBJECT: Schema = {"type": "object"}
MAYBE_OBJECT: Schema = {"type": ["object", "null"]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def record(properties: dict[str, Schema], required: tuple[str, ...] | None = None) -> Schema:
    """An object; every property is required unless told otherwise."""
    names = list(properties) if required is None else list(required)
    return {"type": "object", "properties": properties, "required": names}


def page_of(item: Schema) -> Schema:
    """udata's pagination envelope (api/pagination.py)."""
    return record(
        {
            "data": array(item),
            "page": INTEGER,
            "page_size": INTEGER,
            "total": INTEGER,
            "next_page": TEXT,
            "previous_page": TEXT,
        }
    )


_INTERNAL = record({"created_at_internal": DATE_TIME, "last_modified_internal": DATE_TIME})
_RESOURCE = {
    "id": STRING,
    "title": STRING,
    "description": TEXT,
    "filetype": {"type": "string", "enum": ["file", "remote"]},
    "type": STRING,
    "format": TEXT,
    "url": STRING,
    "latest": STRING,
    "checksum": nullable(record({"type": STRING, "value": STRING})),
    "filesize": {"type": ["integer", "null"]},
    "mime": TEXT,
    "created_at": DATE_TIME,
    "last_modified": DATE_TIME,
    "metrics": OBJECT,
    "harvest": MAYBE_OBJECT,
    "extras": OBJECT,
    "preview_url": TEXT,
    "schema": MAYBE_OBJECT,
    "internal": _INTERNAL,
    "geopf": MAYBE_OBJECT,  # udata 17's GeopfDatasetMetadata / GeopfResourceMetadata: always null here
}
_BADGES = array(record({"kind": STRING}))
ORGANIZATION_REFERENCE = record(
    {
        "id": STRING,
        "class": {"const": "Organization"},
        "name": STRING,
        "acronym": TEXT,
        "slug": STRING,
        "logo": TEXT,
        "logo_thumbnail": TEXT,
        "badges": _BADGES,
        "permissions": OBJECT,
        "uri": STRING,
        "page": TEXT,
    }
)
# api/serializers.dataset_reference
DATASET_REFERENCE = record(
    {
        "id": STRING,
        "class": {"const": "Dataset"},
        "title": STRING,
        "acronym": TEXT,
        "uri": STRING,
        "page": TEXT,
    }
)
USER_REFERENCE = record(
    {
        "id": STRING,
        "class": {"const": "User"},
        "slug": STRING,
        "first_name": STRING,
        "last_name": STRING,
        "avatar": TEXT,
        "avatar_thumbnail": TEXT,
        "deleted": MAYBE_DATE_TIME,
        "uri": STRING,
        "page": TEXT,
    }
)
_CONTACT_POINT = record(
    {
        "id": STRING,
        "name": STRING,
        "email": TEXT,
        "contact_form": TEXT,
        "role": STRING,
        "organization": nullable(ref("OrganizationReference")),
        "owner": nullable(ref("UserReference")),
    }
)
_ZONE = record(dict.fromkeys(("id", "name", "slug", "code", "level", "uri"), TEXT))
_SPATIAL = record(
    {
        "geom": MAYBE_OBJECT,
        # Zone ids, or zone objects with X-Get-Datasets-Full-Objects.
        "zones": array({"anyOf": [STRING, _ZONE]}),
        "granularity": {"anyOf": [STRING, record({"id": STRING, "name": STRING})]},
    }
)
_DATASET = {
    "id": STRING,
    "title": STRING,
    "acronym": TEXT,
    "slug": STRING,
    "description": STRING,
    "description_short": TEXT,
    "created_at": DATE_TIME,
    "last_modified": DATE_TIME,
    "last_update": DATE_TIME,
    "deleted": MAYBE_DATE_TIME,
    "archived": MAYBE_DATE_TIME,
    "featured": BOOLEAN,
    "private": BOOLEAN,
    "tags": array(STRING),
    "badges": _BADGES,
    "resources": array(ref("Resource")),
    "community_resources": array(ref("CommunityResource")),
    "frequency": STRING,
    "frequency_date": MAYBE_DATE_TIME,
    "extras": OBJECT,
    "harvest": MAYBE_OBJECT,
    "metrics": record({key: {"type": ["integer", "object"]} for key in METRIC_KEYS}),
    "organization": nullable(ref("OrganizationReference")),
    "owner": nullable(ref("UserReference")),
    "contact_points": array(_CONTACT_POINT),
    "temporal_coverage": nullable(record({"start": STRING, "end": TEXT})),
    "spatial": nullable(_SPATIAL),
    "license": STRING,
    "access_type": STRING,
    "access_audiences": array(OBJECT),
    "authorization_request_url": TEXT,
    "access_type_reason_category": TEXT,
    "access_type_reason": TEXT,
    "uri": STRING,
    "page": TEXT,
    "quality": OBJECT,
    "schema": MAYBE_OBJECT,
    "internal": _INTERNAL,
    "permissions": record({"delete": BOOLEAN, "edit": BOOLEAN, "edit_resources": BOOLEAN}),
    "doi": TEXT,
    "geopf": MAYBE_OBJECT,  # udata 17's GeopfDatasetMetadata / GeopfResourceMetadata: always null here
}
_SUBSECTION = record({"rel": STRING, "href": STRING, "type": STRING, "total": INTEGER})
_DATASET_V2 = {
    **{name: _DATASET[name] for name in V2_FIELDS if name in _DATASET},
    "resources": _SUBSECTION,
    "community_resources": _SUBSECTION,
    # Objects with X-Get-Datasets-Full-Objects (v2 only).
    "frequency": {"anyOf": [STRING, record({"id": STRING, "label": STRING})]},
    "license": {"anyOf": [TEXT, ref("License")]},
}
_FEATURE = record(
    {
        "id": STRING,
        "type": {"const": "Feature"},
        "properties": record({"slug": STRING, "name": STRING, "code": TEXT, "uri": TEXT, "level": STRING}),
    }
)
# udata's read models carry no ``class``: their references do.
_USER = {
    **{key: schema for key, schema in USER_REFERENCE["properties"].items() if key != "class"},
    "about": TEXT,
    "website": TEXT,
    "email": TEXT,
    "active": BOOLEAN,
    "since": DATE_TIME,
    "last_login_at": MAYBE_DATE_TIME,
    "roles": array(STRING),
    "metrics": OBJECT,
    "organizations": array(ref("OrganizationReference")),
    "password_rotation_demanded": MAYBE_DATE_TIME,
    "password_rotation_performed": MAYBE_DATE_TIME,
}
_MEMBER = record({"role": STRING, "label": STRING, "since": MAYBE_DATE_TIME, "user": OBJECT})
_ORGANIZATION = {
    **{key: schema for key, schema in ORGANIZATION_REFERENCE["properties"].items() if key != "class"},
    "description": STRING,
    "url": TEXT,
    "business_number_id": TEXT,
    "created_at": DATE_TIME,
    "last_modified": DATE_TIME,
    "deleted": MAYBE_DATE_TIME,
    "extras": OBJECT,
    "metrics": OBJECT,
    "members": array(_MEMBER),
    "image_url": TEXT,
    "teams": array(OBJECT),
    "ext": OBJECT,
    "zone": TEXT,
    "presentation_blocs": array(OBJECT),  # out of the default mask
    "presentation_blocs_published_at": MAYBE_DATE_TIME,
    "banner_color": TEXT,
    "banner_image": TEXT,
    "banner_image_position": {"type": ["integer", "null"]},
}
_LICENSE = record(
    {
        "id": STRING,
        "title": STRING,
        "maintainer": TEXT,
        "url": TEXT,
        "flags": array(STRING),
        "alternate_urls": array(STRING),
        "alternate_titles": array(STRING),
    }
)
_IDENTIFIED_LABEL = record({"id": STRING, "label": STRING})
_NAMED = record({"id": STRING, "name": STRING})
_CATALOG_SCHEMA = {
    "type": "object",
    "properties": {
        "name": STRING,
        "title": TEXT,
        "versions": nullable(array(OBJECT)),
        "examples": nullable(array(OBJECT)),
        "labels": nullable(array(STRING)),
    },
    "required": ["name", "versions", "examples", "labels"],
}
_FACETS = {"type": "object", "additionalProperties": array(OBJECT)}
_UPLOADED_RESOURCE = {**record(_RESOURCE), "properties": {**_RESOURCE, "success": {"const": True}}}
_UPLOADED_COMMUNITY = {
    "allOf": [ref("CommunityResource"), record({"success": {"const": True}})],
}
_UPLOAD_PROGRESS = record({"success": {"const": True}, "error": {"type": "null"}})


_API_KEY = record(
    {
        "id": STRING,
        "name": TEXT,
        "created_at": DATE_TIME,
        "expires_at": MAYBE_DATE_TIME,
        "last_used_at": MAYBE_DATE_TIME,
        "revoked_at": MAYBE_DATE_TIME,
    }
)


def _community() -> Schema:
    properties = {
        **_RESOURCE,
        "dataset": nullable(
            record(
                {"id": STRING, "class": STRING, "title": STRING, "acronym": TEXT, "uri": STRING, "page": TEXT}
            )
        ),
        "organization": nullable(ref("OrganizationReference")),
        "owner": nullable(ref("UserReference")),
        "permissions": record({"delete": BOOLEAN, "edit": BOOLEAN}),
    }
    return record(properties)


_ACTIVITY = record(
    {
        "id": STRING,
        "actor": nullable(ref("UserReference")),  # null: the command line
        "organization": nullable(ref("OrganizationReference")),
        "related_to": STRING,
        "related_to_id": STRING,
        "related_to_kind": STRING,
        "related_to_url": TEXT,
        "created_at": DATE_TIME,
        "label": STRING,
        "key": STRING,
        "icon": STRING,
        "changes": array(STRING),
        # udata's extras (``resource_id``...), and opencat's ``diff``: {field: {"old": ..., "new": ...}}
        "extras": OBJECT,
    }
)


def components() -> dict[str, Schema]:
    """Every named schema the operations refer to."""
    dataset = record(_DATASET, DATASET_DEFAULT_FIELDS)
    return {
        "Message": record({"message": STRING}),
        "ValidationError": record({"errors": OBJECT, "message": STRING}, ("errors",)),
        "UploadError": record({"success": {"const": False}, "error": STRING}),
        "Resource": record(_RESOURCE),
        "CommunityResource": _community(),
        "Dataset": dataset,
        "DatasetPage": page_of(ref("Dataset")),
        "CommunityResourcePage": page_of(ref("CommunityResource")),
        "Activity": _ACTIVITY,
        "ActivityPage": page_of(ref("Activity")),
        "ResourcePage": page_of(ref("Resource")),
        "DatasetV2": record(_DATASET_V2, tuple(V2_FIELDS)),
        "DatasetV2SearchPage": {
            **page_of(ref("DatasetV2")),
            "properties": {**page_of(ref("DatasetV2"))["properties"], "facets": _FACETS},
        },
        "DatasetV2Page": page_of(ref("DatasetV2")),
        "Schema": record({"name": nullable(STRING), "version": nullable(STRING), "url": nullable(STRING)}),
        "SchemaList": array(ref("Schema")),
        "ResourceV2": record({"resource": ref("Resource"), "dataset_id": STRING}),
        "OrganizationReference": ORGANIZATION_REFERENCE,
        "UserReference": USER_REFERENCE,
        "Organization": record(
            _ORGANIZATION, tuple(key for key in _ORGANIZATION if key != "presentation_blocs")
        ),
        "User": record(_USER),
        "FollowerPage": page_of(record({"id": STRING, "follower": ref("UserReference"), "since": DATE_TIME})),
        "FollowerCount": record({"followers": INTEGER}),
        "Badge": record({"kind": STRING}),
        "BadgeLabels": {"type": "object", "additionalProperties": STRING},
        "License": _LICENSE,
        "Frequency": _IDENTIFIED_LABEL,
        "ResourceType": _IDENTIFIED_LABEL,
        "NamedItem": _NAMED,
        "CatalogSchema": _CATALOG_SCHEMA,
        "DatasetSuggestion": record(
            {"id": STRING, "title": STRING, "acronym": TEXT, "slug": STRING, "image_url": TEXT, "page": TEXT}
        ),
        "OrganizationSuggestion": record(
            {"id": STRING, "name": STRING, "acronym": TEXT, "slug": STRING, "image_url": TEXT, "page": TEXT}
        ),
        "TextSuggestion": record({"text": STRING}),
        "Zone": _FEATURE,
        "ZoneCollection": record(
            {"type": {"const": "FeatureCollection"}, "features": array(OBJECT)},
        ),
        "CoverageCollection": record(
            {
                "type": {"const": "FeatureCollection"},
                "features": array(
                    record(
                        {
                            "id": STRING,
                            "type": {"const": "Feature"},
                            "geometry": {"type": "null"},
                            "properties": record(
                                {"name": STRING, "code": TEXT, "uri": TEXT, "datasets": INTEGER}
                            ),
                        }
                    )
                ),
            },
        ),
        "UploadedResource": _UPLOADED_RESOURCE,
        "UploadedCommunityResource": _UPLOADED_COMMUNITY,
        "UploadProgress": _UPLOAD_PROGRESS,
        "UploadStatus": record(
            {
                "uuid": STRING,
                "filename": TEXT,
                "totalparts": INTEGER,
                "received": array(INTEGER),
                "bytes_received": INTEGER,
                "expires_at": DATE_TIME,
            }
        ),
        "CheckResult": {"type": "object", "properties": {"check:status": {"type": ["integer", "null"]}}},
        "ResourceOrder": array({"anyOf": [STRING, OBJECT]}),
        "Extras": OBJECT,
        "BadgeBody": record({"kind": STRING}),
        "ContactPoint": _CONTACT_POINT,
        "ContactPointBody": record(
            {
                "name": STRING,
                "email": TEXT,
                "contact_form": TEXT,
                "role": STRING,
                "organization": TEXT,
                "owner": TEXT,
            },
            required=("name",),
        ),
        "IdentifiedLabelList": array(_IDENTIFIED_LABEL),
        "UploadAnswer": {"anyOf": [ref("UploadedResource"), ref("UploadProgress")]},
        "CommunityUploadAnswer": {"anyOf": [ref("UploadedCommunityResource"), ref("UploadProgress")]},
        "ResourceList": array(ref("Resource")),
        "DatasetList": array(ref("Dataset")),
        "DatasetReferenceList": array(DATASET_REFERENCE),
        "DatasetSuggestionList": array(ref("DatasetSuggestion")),
        "OrganizationSuggestionList": array(ref("OrganizationSuggestion")),
        "TextSuggestionList": array(ref("TextSuggestion")),
        "TerritorySuggestion": record(
            {"id": STRING, "name": STRING, "code": STRING, "level": STRING, "uri": TEXT}
        ),
        "TerritorySuggestionList": array(ref("TerritorySuggestion")),
        "Site": record(
            {
                "id": STRING,
                "title": STRING,
                "metrics": {"type": "object", "additionalProperties": INTEGER},
                "keywords": array(STRING),
                "feed_size": INTEGER,
                "version": STRING,
            },
            ("id", "title"),
        ),
        "LicenseList": array(ref("License")),
        "FrequencyList": array(ref("Frequency")),
        "ResourceTypeList": array(ref("ResourceType")),
        "CatalogSchemaList": array(ref("CatalogSchema")),
        "NamedItemList": array(ref("NamedItem")),
        "StringList": array(STRING),
        # opencat's own: sysadmins' management of a user's API keys (never the key, but once).
        "ApiKey": _API_KEY,
        "ApiKeyList": array(ref("ApiKey")),
        "ApiKeyCreated": record({**_API_KEY["properties"], "key": STRING}),
        "ApiKeyBody": {
            "type": "object",
            "properties": {"name": TEXT, "expires_at": {"type": ["string", "null"]}},
        },
    }
