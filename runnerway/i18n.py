"""The API's two languages: Korean (the default) and English, chosen per request by `Accept-Language`
(LocaleMiddleware). Work outside a request (mails, pushes, imports) speaks the language stored with it."""

from django.conf import settings
from django.utils import translation


def active_language() -> str:
    """"ko" or "en": the language active now (the request's, under LocaleMiddleware), else the default."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-", 1)[0]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
