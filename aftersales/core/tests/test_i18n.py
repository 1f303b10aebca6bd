"""Two languages, everywhere: every message has its Simplified Chinese."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

PO = Path(settings.PACKAGE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Texts that are the same in both languages on purpose: names, codes, units.
SAME_IN_BOTH = {
    "API",
    "Aftersales API",
    "CNY",
    "MB",
    "#",
    "English",
    "简体中文",
    "%(name)s",
    "P4",
}
_HAS_LETTERS = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def catalog():
    assert PO.exists(), f"{PO} is missing: run `make makemessages` and translate it"
    return polib.pofile(str(PO))


def test_every_message_has_a_chinese_translation(catalog):
    untranslated = [e.msgid for e in catalog.untranslated_entries() if not e.obsolete]
    assert untranslated == []


def test_no_message_is_fuzzy(catalog):
    fuzzy = [e.msgid for e in catalog.fuzzy_entries() if not e.obsolete]
    assert fuzzy == []


def test_no_chinese_text_is_just_the_english_again(catalog):
    same = [
        e.msgid
        for e in catalog.translated_entries()
        if e.msgstr.strip() == e.msgid.strip()
        and e.msgid not in SAME_IN_BOTH
        and _HAS_LETTERS.search(e.msgid)
    ]
    assert same == []


def test_placeholders_survive_translation(catalog):
    """A translation that drops %(name)s would crash or mislead at run time."""
    placeholder = re.compile(r"%\(\w+\)[sdf]|\{\w*\}")
    broken = []
    for entry in catalog.translated_entries():
        if entry.msgid_plural:
            # Chinese has one plural form; it must keep the plural's placeholders.
            for text in entry.msgstr_plural.values():
                if sorted(placeholder.findall(entry.msgid_plural)) != sorted(
                    placeholder.findall(text)
                ):
                    broken.append(entry.msgid_plural)
        elif sorted(placeholder.findall(entry.msgid)) != sorted(placeholder.findall(entry.msgstr)):
            broken.append(entry.msgid)
    assert broken == []


def test_catalog_covers_every_string_in_the_code(tmp_path):
    """makemessages run afresh finds nothing the committed catalog lacks."""
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None:
        pytest.skip("xgettext is missing: apt-get install gettext")
    work = tmp_path / "aftersales"
    shutil.copytree(
        settings.PACKAGE_DIR,
        work,
        ignore=shutil.ignore_patterns("static", "tests", "__pycache__", "*.mo"),
    )
    django_admin = Path(sys.executable).with_name("django-admin")
    subprocess.run(
        [
            str(django_admin),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--add-location=never",
            "-v",
            "0",
        ],
        cwd=work,
        check=True,
    )
    fresh = {e.msgid for e in polib.pofile(str(work / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in polib.pofile(str(PO))}
    assert sorted(fresh - committed) == []
