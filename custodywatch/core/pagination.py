"""Page-number pagination for API lists, with a bounded page number.

django-ninja's PageNumberPagination accepts any page number; a huge one (found by
tests/security/test_api_fuzz.py) makes an OFFSET that overflows the database's integer
(SQLite: "datatype mismatch", PostgreSQL: "bigint out of range") and answers 500.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

# A million pages of at most ninja's maximum page size: more than any list here holds.
MAX_PAGE = 1_000_000


class BoundedPageNumberPagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=1000)
