"""The OpenAPI document describes every operation's own body: no two schemas share a name.

django-ninja names components by class name; two `SyncIn` classes in two routers made
`/api/references/sync` document the visits' body (found by tests/reliability/test_bad_input.py).
"""

from __future__ import annotations

import collections

from ninja import Schema

from custodywatch.api import api


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_schema_class_names_are_unique_across_the_api():
    api.get_openapi_schema()  # every router imported
    modules = collections.defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("custodywatch."):
            modules[schema.__name__].add(schema.__module__)
    assert {name: sorted(m) for name, m in modules.items() if len(m) > 1} == {}


def _body_properties(schema: dict, path: str) -> set[str]:
    ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return set(schema["components"]["schemas"][ref["$ref"].split("/")[-1]]["properties"])


def test_the_two_sync_operations_document_their_own_bodies():
    schema = api.get_openapi_schema()
    assert "cameras" in _body_properties(schema, "/api/references/sync")
    assert "findings" in _body_properties(schema, "/api/visits/{visit_id}/findings/sync")
