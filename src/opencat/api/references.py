"""Handlers of the reference lists under ``/api/1/datasets/``."""

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.catalog import references as catalog


@describe("The licenses a dataset may use")
def list_licenses(call: Call) -> Reply:
    return Reply([serializers.license_item(item) for item in catalog.list_licenses(call.catalog)])


@describe("The update frequencies, labelled in the requested language")
def list_frequencies(call: Call) -> Reply:
    return Reply(
        [serializers.frequency_item(item, call.language) for item in catalog.list_frequencies(call.catalog)]
    )


@describe("The file extensions an upload may have, sorted")
def list_extensions(call: Call) -> Reply:
    return Reply(catalog.list_extensions(call.catalog))
