"""Paginators of the community lists.

Notifications: the project's cursor pagination on -created_at. Comments: the same, oldest first.

The feed (both orderings): keyset pagination on the feed's total order (community.selectors.FEED_ORDER_FIELDS,
an indexed key): the `cursor` is opaque (URL-safe base64 of the ordering, the direction and the key of the
page's last or first post), so a page costs the same however deep it is. A post whose popularity moves
between two requests can move across a page boundary (seen twice or not at all): the usual trade-off of a
ranking that changes.

Routes near me: keyset pagination over the candidates in memory (community.discover.discover_candidates), with
the same contract as every list (`?page_size=` default 20, max 100; an opaque `?cursor=`; `results`, `next`,
`previous`). The cursor is URL-safe base64 of the ordering, the direction and the key of the page's last (or
first) entry; a page is the entries strictly after (before) that key, counted on the sorted columns. Counters that move
between two requests can move a route across a page boundary, as in the popular feed.
"""

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from binascii import Error as BinasciiError
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from community.selectors import FEED_ORDER_FIELDS, FeedKey
from runnerway.api.pagination import INVALID_CURSOR, CursorPagination, KeysetPagination


class OldestFirstCursorPagination(CursorPagination):
    ordering = "created_at"


def _encode_value(value) -> str | int:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return value.hex
    return value


def _decode_value(name: str, value):
    if name == "created_at":
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment
    if name == "id":
        return UUID(hex=value)
    if name == "popularity":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("popularity")
        return value
    raise ValueError(name)


class FeedKeysetPagination(KeysetPagination):
    """`?page_size=` (default 20, max 100) and an opaque `?cursor=`; the answer is the project's page object
    (`results`, `next`, `previous`)."""

    def __init__(self, ordering: str):
        self.ordering = ordering
        self.fields = FEED_ORDER_FIELDS[ordering]

    def _cursor(self, request) -> tuple[str, FeedKey] | None:
        """(direction "n"ext | "p"revious, key) from `?cursor=`; 400 `validation_error` when it is not one of
        ours for this ordering."""
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            token = json.loads(urlsafe_b64decode(encoded.encode("ascii")))
            if token["o"] != self.ordering or token["d"] not in ("n", "p") or len(token["k"]) != len(self.fields):
                raise ValueError("another feed's cursor")
            key = FeedKey(tuple(_decode_value(name, value) for name, value in zip(self.fields, token["k"],
                                                                                 strict=True)))
        except (ValueError, TypeError, KeyError, UnicodeError, BinasciiError):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None
        return token["d"], key

    def _link(self, direction: str, post) -> str:
        key = FeedKey.of(post, self.ordering)
        token = json.dumps({"o": self.ordering, "d": direction, "k": [_encode_value(v) for v in key.values]},
                           separators=(",", ":"))
        encoded = urlsafe_b64encode(token.encode("ascii")).decode("ascii")
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, encoded)

    def paginate(self, request, fetch: Callable[..., list]) -> list:
        """The page: `fetch(after=, before=, size=)` returns posts in feed order (one more than the page
        asks, to know whether there is more)."""
        self.request = request
        size, cursor = self._page_size(request), self._cursor(request)
        if cursor is not None and cursor[0] == "p":
            rows = fetch(after=None, before=cursor[1], size=size + 1)
            page = rows[-size:]
            has_previous, has_next = len(rows) > size, True
        else:
            rows = fetch(after=cursor[1] if cursor else None, before=None, size=size + 1)
            page = rows[:size]
            has_previous, has_next = cursor is not None, len(rows) > size
        self.next = self._link("n", page[-1]) if has_next and page else None
        self.previous = self._link("p", page[0]) if has_previous and page else None
        return page

    def get_paginated_response(self, data) -> Response:
        return Response({"results": data, "next": self.next, "previous": self.previous})


# The JSON types of each ordering's key (community.discover.discover_key).
_DISCOVER_KEY_TYPES = {"nearest": (float, str), "popular": (int, float, str)}


class DiscoverPagination(KeysetPagination):
    def __init__(self, ordering: str):
        self.ordering = ordering

    def _cursor(self, request) -> tuple[str, tuple] | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            token = json.loads(urlsafe_b64decode(encoded.encode("ascii")))
            types = _DISCOVER_KEY_TYPES[self.ordering]
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
        """The page of `candidates` (community.discover.DiscoverCandidates, sorted) the request asks for."""
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
