"""The Korean catalogues: complete, well-formed and compiled. Pure Python (no GNU gettext needed): the .po files
are read here, the committed .mo files with the standard library's reader, the source with `ast`."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

APPS = ["accounts", "community", "data_export", "goals", "push", "routes", "runnerway", "workouts"]
CATALOGUES = {app: settings.BASE_DIR / app / "locale" / "ko" / "LC_MESSAGES" for app in APPS}
GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-#0 +]*\d*(?:\.\d+)?[sdfg]|\{[a-z_]+(?::[^}]*)?\}")
TEMPLATE_STRING = re.compile(r'{%\s*translate\s+"([^"]+)"\s*%}|{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate')


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt (or None), msgid, msgid_plural (or None), msgstr and flags (continuation
    lines joined). Korean has one plural form, so a plural entry's `msgstr[0]` is its msgstr."""
    entries: list[dict] = []
    current: dict | None = None
    key = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        starts_entry = line.startswith(("#", "msgctxt", "msgid"))
        if current is not None and (not line.strip() or (starts_entry and "msgstr" in current)):
            entries.append(current)
            current = None
        if not line.strip():
            continue
        current = current or {"msgctxt": None, "msgid_plural": None, "flags": set()}
        if line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, literal = line.partition(" ")
            key = "msgstr" if key == "msgstr[0]" else key
            current[key] = ast.literal_eval(literal)
    return [entry for entry in entries if entry.get("msgid")]


def lookup_key(entry: dict) -> str:
    return entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"


def compiled_key(entry: dict) -> str | tuple[str, int]:
    """How the standard library's reader keys the entry: a plural one by (msgid, form)."""
    return lookup_key(entry) if entry.get("msgid_plural") is None else (lookup_key(entry), 0)


@pytest.mark.parametrize("app", APPS)
def test_every_message_has_a_korean_translation_with_the_same_placeholders(app):
    entries = po_entries(CATALOGUES[app] / "django.po")
    assert entries, f"{app} has an empty catalogue"
    for entry in entries:
        assert entry["msgstr"], f"{app}: no Korean for {entry['msgid']!r}"
        assert "fuzzy" not in entry["flags"], f"{app}: fuzzy (machine-guessed) translation of {entry['msgid']!r}"
        if "no-python-format" not in entry["flags"]:
            assert sorted(PLACEHOLDER.findall(entry["msgid"])) == sorted(PLACEHOLDER.findall(entry["msgstr"])), (
                f"{app}: placeholders differ in {entry['msgid']!r}")


@pytest.mark.parametrize("app", APPS)
def test_the_committed_mo_is_compiled_from_the_po(app):
    with (CATALOGUES[app] / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog
    expected = {compiled_key(entry): entry["msgstr"] for entry in po_entries(CATALOGUES[app] / "django.po")}
    compiled_messages = {key: value for key, value in catalogue.items() if key != ""}  # "" is the header
    assert compiled_messages == expected, "run `manage.py compilemessages` and commit the .mo"


def _source_messages(app: str):
    """(file, msgctxt, msgid) of every literal handed to a gettext function in the app's code and templates."""
    root = settings.BASE_DIR / app
    for path in root.rglob("*.py"):
        if "tests" in path.relative_to(root).parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT_CALLS and node.args):
                continue
            literals = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args[:2]]
            if node.func.id.startswith("pgettext"):
                if None not in literals:
                    yield path, literals[0], literals[1]
            elif literals[0] is not None:
                yield path, None, literals[0]
    for path in root.rglob("templates/**/*.*"):
        for plain, block in TEMPLATE_STRING.findall(path.read_text(encoding="utf-8")):
            singular = re.split(r"{%\s*plural\s*%}", block)[0]  # the plural's msgid is its singular
            yield path, None, plain or re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", singular)


@pytest.mark.parametrize("app", APPS)
def test_every_wrapped_message_of_the_source_is_in_the_catalogue(app):
    known = {lookup_key(entry) for entry in po_entries(CATALOGUES[app] / "django.po")}
    missing = [(path.name, msgid) for path, context, msgid in _source_messages(app)
               if lookup_key({"msgctxt": context, "msgid": msgid}) not in known]
    assert not missing, f"run `manage.py makemessages -l ko` in {app}/ and translate: {missing}"


def test_the_parser_reads_contexts_flags_and_continued_lines(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: ko\\n"\n#: cues.py\nmsgctxt "turn cue"\nmsgid "turn left"\n'
                  'msgstr "좌회전"\n\n#, fuzzy, python-format\nmsgid "In %(distance)s "\n"arrive"\nmsgstr ""\n\n'
                  'msgid "%(count)d post hidden."\nmsgid_plural "%(count)d posts hidden."\n'
                  'msgstr[0] "게시물 %(count)d개를 숨겼습니다."\n', encoding="utf-8")
    assert po_entries(po) == [
        {"msgctxt": "turn cue", "msgid_plural": None, "flags": set(), "msgid": "turn left", "msgstr": "좌회전"},
        {"msgctxt": None, "msgid_plural": None, "flags": {"fuzzy", "python-format"}, "msgid": "In %(distance)s arrive",
         "msgstr": ""},
        {"msgctxt": None, "msgid_plural": "%(count)d posts hidden.", "flags": set(), "msgid": "%(count)d post hidden.",
         "msgstr": "게시물 %(count)d개를 숨겼습니다."},
    ]
    assert compiled_key(po_entries(po)[2]) == ("%(count)d post hidden.", 0)
