"""Turn cues as the runner reads them: computed when an option is planned, stored on it as plain JSON, and
rendered in the client's language (Accept-Language: Korean by default, English) through Django's translation
catalogue (`routes/locale`).

The stored form (`RouteOption.cues`) is language-neutral: `routes.planner.cues.Cue.to_json()`, the way names
in all three tags (`street`, `street_ko`, `street_en`). Rendering picks the name and words of one language:
"120 m 후 우회전, 월드컵로" / "In 120 m turn right onto World Cup-ro".
"""

from collections.abc import Sequence
from functools import lru_cache

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import pgettext
from django.utils.translation.trans_real import parse_accept_lang_header

from routes.planner.cues import (
    ARRIVE,
    CONTINUE,
    DEPART,
    LEFT,
    RIGHT,
    SHARP_LEFT,
    SHARP_RIGHT,
    SLIGHT_LEFT,
    SLIGHT_RIGHT,
    TURNS,
    U_TURN,
    cues_for_path,
)

CUE_LANGUAGES = ("ko", "en")
# Most runners are in Korea: a client that names neither language hears Korean.
DEFAULT_CUE_LANGUAGE = "ko"


def cue_language(request) -> str:
    """"ko" or "en": the first of them in the request's Accept-Language (by q), else Korean."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "") if request is not None else ""
    for language, _quality in parse_accept_lang_header(header):
        primary = language.split("-", 1)[0]
        if primary in CUE_LANGUAGES:
            return primary
    return DEFAULT_CUE_LANGUAGE


def cues_for_planned_route(graph, node_ids) -> list[dict]:
    """The stored form of a planned path's cues (see `routes.planner.cues`)."""
    return [cue.to_json() for cue in cues_for_path(graph, node_ids)]


@lru_cache(maxsize=len(CUE_LANGUAGES))
def _phrases(language: str) -> dict:
    """Every word and sentence frame of the cues in `language`, looked up once per process (the catalogue does
    not change while it runs; a lookup per cue made a 40-cue option cost milliseconds per response)."""
    with translation.override(language):
        return {
            # what the runner does at a cue, as it reads inside "In 120 m ..."
            "actions": {
                LEFT: pgettext("turn cue", "turn left"),
                RIGHT: pgettext("turn cue", "turn right"),
                SLIGHT_LEFT: pgettext("turn cue", "keep left"),
                SLIGHT_RIGHT: pgettext("turn cue", "keep right"),
                SHARP_LEFT: pgettext("turn cue", "turn sharp left"),
                SHARP_RIGHT: pgettext("turn cue", "turn sharp right"),
                U_TURN: pgettext("turn cue", "make a U-turn"),
                CONTINUE: pgettext("turn cue", "continue straight"),
            },
            "compass": [
                pgettext("compass", "north"), pgettext("compass", "northeast"), pgettext("compass", "east"),
                pgettext("compass", "southeast"), pgettext("compass", "south"), pgettext("compass", "southwest"),
                pgettext("compass", "west"), pgettext("compass", "northwest"),
            ],
            "depart_on": pgettext("turn cue", "Head %(direction)s on %(street)s"),
            "depart": pgettext("turn cue", "Head %(direction)s"),
            "finish": pgettext("turn cue", "Finish"),
            "arrive_in": pgettext("turn cue", "In %(distance)s arrive at the finish"),
            "action_onto": pgettext("turn cue", "%(action)s onto %(street)s"),
            "in_action_onto": pgettext("turn cue", "In %(distance)s %(action)s onto %(street)s"),
            "in_action": pgettext("turn cue", "In %(distance)s %(action)s"),
        }


def format_distance(distance_m: float) -> str:
    """"120 m" (to 10 m, at least 10 m) below a kilometre, "1.2 km" from there (the same in both languages)."""
    if distance_m < 995:
        return f"{max(10, round(distance_m / 10) * 10)} m"
    return f"{distance_m / 1000:.1f} km"


def street_in(cue: dict, language: str) -> str | None:
    """The cue's way name in `language` (its name:ko / name:en tag, else its name tag); None where unnamed."""
    preferred = cue.get(f"street_{language}") or ""
    return preferred or cue.get("street") or None


def _instruction_and_text(cue: dict, street: str | None, phrases: dict) -> tuple[str, str]:
    turn = cue["turn"]
    distance = format_distance(cue["distance_m"])
    if turn == DEPART:
        direction = phrases["compass"][round(cue["bearing_deg"] / 45.0) % 8]
        if street:
            line = phrases["depart_on"] % {"direction": direction, "street": street}
        else:
            line = phrases["depart"] % {"direction": direction}
        return line, line
    if turn == ARRIVE:
        return phrases["finish"], phrases["arrive_in"] % {"distance": distance}
    action = phrases["actions"][turn]
    if street and turn != U_TURN:  # a U-turn stays on its way: naming it again says nothing
        values = {"action": action, "street": street, "distance": distance}
        return capfirst(phrases["action_onto"] % values), phrases["in_action_onto"] % values
    return capfirst(action), phrases["in_action"] % {"action": action, "distance": distance}


def cues_render(cues: Sequence[dict], *, language: str) -> list[dict]:
    """Stored cues as the API serves them, in `language` ("ko" or "en"): turn, distances in whole metres,
    position, bearing, the way's name in that language and the instruction / announcement text."""
    if language not in CUE_LANGUAGES:
        raise ValueError(f"cue language must be one of {CUE_LANGUAGES}")
    phrases = _phrases(language)
    rendered = []
    for cue in cues:
        if cue.get("turn") not in TURNS:
            continue  # written by a later version with a turn this one cannot say
        street = street_in(cue, language) if cue["turn"] != ARRIVE else None
        instruction, text = _instruction_and_text(cue, street, phrases)
        rendered.append({
            "turn": cue["turn"],
            "distance_m": round(cue["distance_m"]),
            "distance_from_start_m": round(cue["distance_from_start_m"]),
            "street": street,
            "latitude": cue["latitude"],
            "longitude": cue["longitude"],
            "bearing_deg": cue["bearing_deg"],
            "instruction": instruction,
            "text": text,
        })
    return rendered
