"""Content negotiation with a shortcut for what the apps send: no Accept, `*/*` or exactly the first renderer's type.

DRF parses and ranks the Accept header on every request (~0.1 ms); for those three cases its answer is always
the view's first renderer with that renderer's media type, which is what this returns without parsing. Anything
else (a file type, parameters, several types, an empty header, `?format=`) goes through DRF's negotiation
unchanged.
"""

from rest_framework.negotiation import DefaultContentNegotiation


class ApiContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        override = self.settings.URL_FORMAT_OVERRIDE  # None in this project: no query string parsed for it
        if renderers and format_suffix is None and accept in ("*/*", renderers[0].media_type) \
                and (override is None or override not in request.GET):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
