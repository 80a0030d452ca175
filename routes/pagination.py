"""Keyset pagination of routes near me over the candidates in memory (routes.selectors.discover_candidates).

Same contract as every list (`?page_size=` default 20, max 100; an opaque `?cursor=`; `results`, `next`,
`previous`). The cursor is URL-safe base64 of the ordering, the direction and the key of the page's last (or
first) entry; a page is the entries strictly after (before) that key, counted on the sorted columns. Counters that move
between two requests can move a route across a page boundary, as in the popular feed.
"""

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from binascii import Error as BinasciiError

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from runnerway.api.pagination import INVALID_CURSOR, CursorPagination, KeysetPagination

# The JSON types of each ordering's key (routes.selectors.discover_key).
_KEY_TYPES = {"nearest": (float, str), "popular": (int, float, str)}


class DiscoverPagination(KeysetPagination):
    def __init__(self, ordering: str):
        self.ordering = ordering

    def _cursor(self, request) -> tuple[str, tuple] | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            token = json.loads(urlsafe_b64decode(encoded.encode("ascii")))
            types = _KEY_TYPES[self.ordering]
            key = token["k"]
            if token["o"] != self.ordering or token["d"] not in ("n", "p") or len(key) != len(types):
                raise ValueError("another list's cursor")
            # JSON gives 3 for 3.0: a float position accepts an int, nothing else mixes.
            key = tuple(float(value) if kind is float and isinstance(value, int) and not isinstance(value, bool)
                        else value for kind, value in zip(types, key, strict=True))
            if not all(isinstance(value, kind) and not isinstance(value, bool)
                       for kind, value in zip(types, key, strict=True)):
                raise ValueError("key types")
        except (ValueError, TypeError, KeyError, UnicodeError, BinasciiError):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None
        return token["d"], key

    def _link(self, direction: str, key: tuple) -> str:
        token = json.dumps({"o": self.ordering, "d": direction, "k": list(key)}, separators=(",", ":"))
        encoded = urlsafe_b64encode(token.encode("ascii")).decode("ascii")
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, encoded)

    def paginate(self, request, candidates) -> list:
        """The page of `candidates` (routes.selectors.DiscoverCandidates, sorted) the request asks for."""
        self.request = request
        size, cursor = self._page_size(request), self._cursor(request)
        if cursor is None:
            start, end = 0, min(size, len(candidates))
        elif cursor[0] == "n":
            start = candidates.count_up_to(cursor[1])
            end = min(start + size, len(candidates))
        else:
            end = candidates.count_before(cursor[1])
            start = max(end - size, 0)
        page = candidates[start:end]
        self.next = self._link("n", page[-1].key) if page and end < len(candidates) else None
        self.previous = self._link("p", page[0].key) if page and start > 0 else None
        return page

    def get_paginated_response(self, data) -> Response:
        return Response({"results": data, "next": self.next, "previous": self.previous})


class DiscoverPageSchema(CursorPagination):
    """The page object in the OpenAPI schema of routes near me (the page itself is DiscoverPagination's): the
    project's page schema, with example links so that drf-spectacular can show a whole example page."""

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        properties = page["properties"]
        properties["next"] = {**properties["next"], "example": "https://api.runnerway.example/api/v1/routes/"
                              "discover?latitude=37.5563&longitude=126.9236&cursor=eyJvIjoibmVhcmVzdCJ9"}
        properties["previous"] = {**properties["previous"], "example": None}
        return page
