"""Request body parsers of the API."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request body of the API nests deeper than 4 levels (a points batch: body, list, point); 32 leaves room for
# clients that wrap, while keeping every later recursive walk (validation, error flattening, rendering) far from
# Python's recursion limit.
MAX_JSON_DEPTH = 32


def json_depth_exceeds(value, limit: int) -> bool:
    """True when `value` (parsed JSON) nests lists/objects more than `limit` levels. Iterative: no recursion, and
    it visits each container once."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a depth limit: a body nested too deeply is a 400 `validation_error`, never the 500
    of a RecursionError (the json module recurses once per level)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - nested more than %(levels)s levels.")
                             % {"levels": MAX_JSON_DEPTH}) from exc
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(_("JSON parse error - nested more than %(levels)s levels.") % {"levels": MAX_JSON_DEPTH})
        return data
