"""Paginators of the community lists.

`latest` feed and notifications: the project's cursor pagination on -created_at. Comments: the same, oldest
first. The `popular` feed is ordered by a score computed at request time (likes and comments of the last 7
days), which no stored column carries, so a keyset cursor over it would not be stable anyway: it is paginated
by position. The `cursor` stays opaque (base64 of the offset) and the order is total (score, created_at, id),
so a page boundary is well defined; as scores move between two requests a post can move across a boundary
(seen twice or not at all) — the usual trade-off of a popularity ranking.
"""

from base64 import urlsafe_b64decode, urlsafe_b64encode
from binascii import Error as BinasciiError

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from runnerway.api.pagination import INVALID_CURSOR, CursorPagination

MAX_POPULAR_OFFSET = 10_000  # deeper than anyone scrolls a ranking; bounds the OFFSET the database skips


class OldestFirstCursorPagination(CursorPagination):
    ordering = "created_at"


class PositionCursorPagination(BasePagination):
    """`?page_size=` (default 20, max 100) and an opaque `?cursor=` holding the position in the ordering."""

    page_size = CursorPagination.page_size
    max_page_size = CursorPagination.max_page_size
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    def _page_size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            return self.page_size
        return self.page_size if size <= 0 else min(size, self.max_page_size)

    def _offset(self, request) -> int:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return 0
        try:
            offset = int(urlsafe_b64decode(encoded.encode("ascii")).decode("ascii").removeprefix("o="))
        except (ValueError, UnicodeError, BinasciiError):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None
        if not 0 <= offset <= MAX_POPULAR_OFFSET:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]})
        return offset

    def _link(self, offset: int | None) -> str | None:
        if offset is None:
            return None
        url = self.request.build_absolute_uri()
        if offset == 0:
            return remove_query_param(url, self.cursor_query_param)
        token = urlsafe_b64encode(f"o={offset}".encode("ascii")).decode("ascii")
        return replace_query_param(url, self.cursor_query_param, token)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size, offset = self._page_size(request), self._offset(request)
        rows = list(queryset[offset:offset + size + 1])
        has_next = len(rows) > size and offset + size <= MAX_POPULAR_OFFSET
        self.next_offset = offset + size if has_next else None
        self.previous_offset = max(0, offset - size) if offset > 0 else None
        return rows[:size]

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self._link(self.next_offset),
                         "previous": self._link(self.previous_offset)})

    def get_paginated_response_schema(self, schema):
        return CursorPagination().get_paginated_response_schema(schema)
