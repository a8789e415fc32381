"""Requests with a NUL character in the path or the query string are refused (400).

PostgreSQL text cannot hold NUL (0x00): such a value reaching a query is a DataError, a 500
(found by tests/security/test_api_fuzz.py on PostgreSQL; SQLite stores it silently). Forms
refuse NUL already (Django's ProhibitNullCharactersValidator); API bodies are checked by
custodywatch.api.ObjectBodyParser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse

NUL_REFUSED = "The request may not contain the NUL character (%00)."


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query):
            return HttpResponse(json.dumps({"detail": NUL_REFUSED}), status=400,
                                content_type="application/json")
        return self.get_response(request)


def contains_nul(value: object) -> bool:
    """Whether a parsed JSON value holds a NUL character in any string or key."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False
