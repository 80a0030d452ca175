"""Cursor pagination for every list: `?page_size=` (default 20, max 100) and `?cursor=`."""

from django.utils.translation import gettext_lazy
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

INVALID_CURSOR = gettext_lazy("Invalid cursor: pass back a `next`/`previous` link unchanged.")


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"  # DRF falls back to the default or the cap for an invalid or too large one
    max_page_size = 100
    ordering = "-created_at"

    def decode_cursor(self, request):
        # DRF answers a malformed cursor with 404; it is a bad query parameter (400 `validation_error`).
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link(), "previous": self.get_previous_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }


class KeysetPagination:
    """What the hand-made keyset paginations (the feeds, routes near me) share with every list: `?page_size=`
    (default 20, max 100; an invalid or out-of-range value falls back to the default / the cap) and `?cursor=`.
    Subclasses decode their own cursors: each ordering has its own key."""

    page_size = CursorPagination.page_size
    max_page_size = CursorPagination.max_page_size
    page_size_query_param = "page_size"  # DRF falls back to the default or the cap for an invalid or too large one
    cursor_query_param = "cursor"

    def _page_size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            return self.page_size
        return self.page_size if size <= 0 else min(size, self.max_page_size)
