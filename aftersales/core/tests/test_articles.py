"""Article citations (issue 8, item 4): the regulation's 33 articles are all
known, each with a title in both languages, and no citation anywhere names an
article the regulation does not have."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from aftersales.core.articles import ARTICLE_ID, ARTICLES, UnknownArticle, article

ROOT = Path(__file__).resolve().parents[3]
REGULATION = ROOT.parent / "shared" / "regulation.md"
# Where citations live: code, templates, message templates, docs, benchmarks.
SCANNED = ("aftersales", "bench", "docs", "README.md")
SUFFIXES = {".py", ".html", ".txt", ".md"}
TEST_NAME = re.compile(r"\bdef test_([pqi]\d{1,2})_")


def _files():
    for top in SCANNED:
        path = ROOT / top
        if path.is_file():
            yield path
            continue
        for file in path.rglob("*"):
            if file.suffix in SUFFIXES and "node_modules" not in file.parts:
                yield file


def test_all_33_articles_are_known():
    assert len(ARTICLES) == 33
    assert {a[0] for a in ARTICLES} == {"P", "Q", "I"}
    assert "I" + "9" not in ARTICLES  # chapter I of the original has no article 9


@pytest.mark.skipif(
    not REGULATION.is_file(), reason="shared/regulation.md is not beside the checkout"
)
def test_articles_are_exactly_those_of_the_regulation():
    text = REGULATION.read_text(encoding="utf-8")
    in_regulation = set(re.findall(r"^\*\*([PQI]\d{1,2})\*\*", text, flags=re.MULTILINE))
    # I4-I7 are written on one line each as **I4** ... in the regulation too.
    in_regulation |= set(re.findall(r"\*\*([PQI]\d{1,2})\*\*", text))
    assert in_regulation == set(ARTICLES)


@pytest.mark.parametrize("article_id", list(ARTICLES))
def test_each_article_has_a_title_and_summary_in_both_languages(article_id):
    item = ARTICLES[article_id]
    with translation.override("en"):
        title_en, summary_en = str(item.title), str(item.summary)
    with translation.override("zh-hans"):
        title_zh, summary_zh = str(item.title), str(item.summary)
    assert title_en and summary_en
    han = re.compile(r"[\u4e00-\u9fff]")
    assert han.search(title_zh), f"{article_id} title has no Chinese: {title_zh!r}"
    assert han.search(summary_zh), f"{article_id} summary has no Chinese: {summary_zh!r}"
    assert not han.search(title_en + summary_en)


def test_an_unknown_article_is_an_error_not_an_empty_citation():
    with pytest.raises(UnknownArticle):
        article("I" + "9")
    with pytest.raises(UnknownArticle):
        Template('{% load aftersales %}{% cite "P4" "Q" %}').render(Context({}))


def test_cite_tag_shows_id_and_title_in_the_readers_language():
    with translation.override("en"):
        html = Template('{% load aftersales %}{% cite "Q10" %}').render(Context({}))
    assert "Q10" in html and "Anomaly handling form" in html
    with translation.override("zh-hans"):
        html = Template('{% load aftersales %}{% cite "Q10" %}').render(Context({}))
    assert "异常处理单" in html


def test_every_article_cited_in_code_templates_tests_and_docs_exists():
    unknown = {}
    for file in _files():
        text = file.read_text(encoding="utf-8", errors="replace")
        cited = set(ARTICLE_ID.findall(text)) | {m.upper() for m in TEST_NAME.findall(text)}
        for article_id in cited - set(ARTICLES):
            unknown.setdefault(article_id, []).append(str(file.relative_to(ROOT)))
    assert not unknown, f"citations of articles the regulation does not have: {unknown}"
