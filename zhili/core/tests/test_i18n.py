"""Chinese is the default language and every catalogue is complete and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest

ROOT = Path(__file__).resolve().parents[3]
CATALOGUES = sorted(ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
CATALOGUES = [p for p in CATALOGUES if ".venv" not in p.parts]


def test_there_are_catalogues():
    assert CATALOGUES, "no zh_Hans catalogue found"


def _compiled(compiled: gettext.GNUTranslations, entry: polib.POEntry) -> str:
    if entry.msgctxt:
        return compiled.pgettext(entry.msgctxt, entry.msgid)
    return compiled.gettext(entry.msgid)


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_fully_translated_and_its_mo_is_current(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po_path.name}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {po_path.name}: {fuzzy[:10]}"
    with (po_path.with_suffix(".mo")).open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        entry.msgid
        for entry in po.translated_entries()
        if not entry.msgid_plural and _compiled(compiled, entry) != entry.msgstr
    ]
    assert not stale, f"{po_path.with_suffix('.mo')} is older than its .po: {stale[:5]}"


@pytest.mark.django_db
def test_pages_switch_to_english_on_request(client):
    chinese = client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert "智理" in chinese
    assert "Staff login" in english
    assert "Staff login" not in chinese


@pytest.mark.django_db
def test_our_words_win_over_the_django_admin_catalogue(client):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Filter") == "筛选"


def _app(po_path: Path) -> str:
    """The app a catalogue belongs to, as its directory: zhili/cases, or "." for the project's."""
    return str(po_path.parents[3].relative_to(ROOT))


def _translation(entry: polib.POEntry) -> str | tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
    return entry.msgstr


def test_no_message_is_translated_differently_in_two_catalogues():
    """Django merges every app's catalogue into one at run time: where two apps translate the same
    msgid (with the same msgctxt) differently, the app listed first in INSTALLED_APPS wins on every
    page, silently, and the other app shows a word it never chose (a case's "Rejected" became the
    residents' 不予更正). A usage that needs another word gets a context (pgettext, or `context`
    in the template tags); words that mean the same are spelled the same in every catalogue."""
    seen: dict[tuple[str | None, str, str], dict[str | tuple[str, ...], list[str]]] = {}
    for po_path in CATALOGUES:
        for entry in polib.pofile(str(po_path)).translated_entries():
            key = (entry.msgctxt or None, entry.msgid, entry.msgid_plural or "")
            seen.setdefault(key, {}).setdefault(_translation(entry), []).append(_app(po_path))
    clashes = [
        f"{'[' + key[0] + '] ' if key[0] else ''}{key[1]!r}: "
        + "; ".join(f"{' '.join(apps)} → {word!r}" for word, apps in translations.items())
        for key, translations in seen.items()
        if len(translations) > 1
    ]
    assert not clashes, f"{len(clashes)} msgids translated differently:\n" + "\n".join(clashes)


def test_form_labels_end_with_a_full_width_colon_in_chinese():
    from django import forms
    from django.utils import translation

    class Form(forms.Form):
        name = forms.CharField(label="姓名")
        what = forms.CharField(label="反映什么问题？")

    with translation.override("zh-hans"):
        assert "姓名：</label>" in str(Form()["name"].label_tag())
        assert "反映什么问题？</label>" in str(Form()["what"].label_tag())  # no colon after a question mark
    with translation.override("en"):
        assert "姓名:</label>" in str(Form()["name"].label_tag())
