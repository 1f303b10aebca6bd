"""Full-text search over proposals (issue 3, "Seeing and finding"): a
two-character Chinese word and a mixed Chinese/English phrase are found on
both databases, served by an index, with exactly the counts LIKE gives."""

import re

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from aftersales.customers.tests.factories import make_customer
from aftersales.proposals import search, selectors
from aftersales.proposals.models import Channel, Proposal
from aftersales.proposals.tests.factories import make_proposal

# Texts chosen to trip a search that is not exact: the word across
# punctuation, inside a longer run (退货运费 is where jieba misses 退货), in
# the title only, in English only, split over two Chinese runs.
TEXTS = [
    ("退货流程太慢", "建议简化退货流程。Please simplify the return policy."),
    ("保修期", "保修期内免费维修，希望延长保修。"),
    ("运费问题", "退货运费应由公司承担。"),
    ("客服态度", "退，货都很麻烦。保，修也是。"),  # neither 退货 nor 保修
    ("退货 policy", "no Chinese return words here"),
    ("关于保修", "The warranty policy should be longer."),
    ("包装", "包装太大，浪费材料。退货，货流程很复杂。"),  # 退货 yes, 退货流程 no
    ("English only", "Return POLICY is unclear; policy-makers should fix it."),
    ("单字", "货"),
    ("配件", "配件价格太高，退货policy不清楚。"),
]


@pytest.fixture
def texts(db):
    customer = make_customer()
    return [
        make_proposal(customer=customer, title=title, content=content, acknowledge=False)
        for title, content in TEXTS
    ]


def like_count(fragment: str) -> int:
    return Proposal.objects.filter(
        Q(title__contains=fragment) | Q(content__contains=fragment)
    ).count()


def found(user, q: str, **filters) -> list[int]:
    """Every id the list finds for ``q``, over all pages."""
    ids, cursor = [], None
    while True:
        rows, cursor = selectors.proposal_list(
            user=user, filters={"q": q, **filters}, cursor=cursor, limit=3
        )
        ids += [row.pk for row in rows]
        if cursor is None:
            return ids


# --- the tokenizer ---------------------------------------------------------


def test_chinese_runs_become_overlapping_pairs_and_english_lower_case_words():
    assert search.tokens("退货流程") == ["退货", "货流", "流程"]
    assert search.tokens("退") == ["退"]
    assert search.tokens("iPhone15 退货 Policy") == ["iphone15", "退货", "policy"]


def test_a_phrase_never_runs_across_punctuation_between_chinese_runs():
    assert search.tokens("退货，货流程") == ["退货", search.BREAK, "货流", "流程"]
    assert search.tokens("退货 policy") == ["退货", "policy"]


def test_fullwidth_letters_are_read_as_plain_ones():
    assert search.tokens("ＡＢＣ退货") == ["abc", "退货"]


def test_a_query_is_every_term_and_quotes_keep_a_phrase():
    assert search.parse("退货 policy").phrases == (("退货",), ("policy",))
    assert search.parse('"退货 policy"').phrases == (("退货", "policy"),)
    assert search.parse("退货流程").phrases == (("退货", "货流", "流程"),)


def test_a_one_character_chinese_query_falls_back_to_like():
    query = search.parse("货")
    assert query.phrases == ()
    assert query.like == ("货",)


# --- finding ---------------------------------------------------------------


@pytest.mark.parametrize("word", ["退货", "保修"])
def test_a_two_character_word_is_found_exactly_as_like_finds_it(texts, cs_manager, word):
    ids = found(cs_manager, word)

    assert len(ids) == like_count(word)
    assert set(ids) == set(
        Proposal.objects.filter(Q(title__contains=word) | Q(content__contains=word)).values_list(
            "pk", flat=True
        )
    )
    assert ids == sorted(ids, reverse=True)  # newest first, no repeats across pages


def test_the_expected_counts_for_the_sample(texts, cs_manager):
    # Stated outright, so a LIKE that went wrong the same way cannot hide it.
    assert len(found(cs_manager, "退货")) == 5
    assert len(found(cs_manager, "保修")) == 2


def test_a_longer_chinese_word_is_the_phrase_of_its_pairs(texts, cs_manager):
    assert len(found(cs_manager, "退货流程")) == like_count("退货流程") == 1


def test_a_mixed_chinese_and_english_query_needs_every_term(texts, cs_manager):
    ids = found(cs_manager, "退货 policy")

    expected = [
        p.pk
        for p in Proposal.objects.order_by("-pk")
        if "退货" in p.title + p.content
        and re.search(r"(?<![a-z0-9])policy(?![a-z0-9])", (p.title + " " + p.content).lower())
    ]
    assert ids == expected
    assert len(ids) == 3


def test_a_quoted_mixed_phrase_needs_the_words_side_by_side(texts, cs_manager):
    ids = found(cs_manager, '"退货 policy"')

    titles = set(Proposal.objects.filter(pk__in=ids).values_list("title", flat=True))
    assert titles == {"退货 policy", "配件"}


def test_english_words_are_found_whatever_their_case(texts, cs_manager):
    assert len(found(cs_manager, "POLICY")) == 5


def test_one_character_is_found_by_like(texts, cs_manager):
    assert len(found(cs_manager, "货")) == like_count("货")


def test_a_reference_finds_its_proposal(texts, cs_manager):
    wanted = texts[3]
    assert found(cs_manager, wanted.reference) == [wanted.pk]


def test_search_combines_with_the_filters(texts, cs_manager):
    letter = make_proposal(
        channel=Channel.LETTER, title="来信", content="退货太难", by=cs_manager, acknowledge=False
    )
    assert found(cs_manager, "退货", channel=Channel.LETTER) == [letter.pk]
    assert len(found(cs_manager, "退货", channel=Channel.WEB)) == 5


def test_punctuation_alone_finds_nothing(texts, cs_manager):
    assert found(cs_manager, "！？") == []


def test_a_proposal_is_searchable_as_soon_as_it_is_received(db, cs_manager):
    proposal = make_proposal(title="新建议", content="售后保修电话打不通", acknowledge=False)
    assert found(cs_manager, "保修电话") == [proposal.pk]


def test_a_rolled_back_intake_leaves_nothing_in_the_index(db, cs_manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_proposal(title="回滚", content="独一无二的词语", acknowledge=False)
        raise RuntimeError
    assert found(cs_manager, "独一无二") == []


def test_bulk_index_makes_seeded_rows_searchable(db, cs_manager):
    from django.utils import timezone

    customer = make_customer()
    seeded = [
        Proposal.objects.create(
            customer=customer,
            channel=Channel.WEB,
            title=f"种子{i}",
            content="批量导入的保修建议" if i % 2 else "other text",
            language="zh-hans",
            received_at=timezone.now(),
            reference=f"P-2026-9{i:05d}",
        )
        for i in range(6)
    ]
    assert found(cs_manager, "批量") == []

    count = search.bulk_index((p.pk, p.title, p.content) for p in seeded)

    assert count == 6
    assert found(cs_manager, "批量导入") == [p.pk for p in reversed(seeded) if "批量" in p.content]


# --- the query plan uses the index -----------------------------------------


def plan_of_search(user, **filters) -> str:
    with CaptureQueriesContext(connection) as captured:
        selectors.proposal_list(user=user, filters={"q": "退货", **filters}, limit=25)
    (sql,) = [q["sql"] for q in captured.captured_queries if "proposals_search" in q["sql"]]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # The test tables hold a handful of rows, where a sequential scan, or
        # walking the primary key and testing each row, is cheaper and the
        # planner rightly takes it; both are switched off for this transaction
        # only, to show the GIN index serves the match. (At 1,000,000 rows,
        # once analysed, the planner took it by itself for a rare word, 4 ms,
        # and walked the newest ids for a frequent one, under 1 ms.)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.sqlite_only
@pytest.mark.parametrize("filters", [{}, {"status": "received"}], ids=["plain", "filtered"])
def test_sqlite_search_is_served_by_the_fts5_index(texts, cs_manager, filters):
    plan = plan_of_search(cs_manager, **filters)
    assert "VIRTUAL TABLE INDEX" in plan, plan
    assert "proposals_search" in plan, plan


@pytest.mark.postgresql_only
def test_postgresql_search_is_served_by_the_gin_index(texts, cs_manager):
    # Combined with a filter, a table of ten rows is better probed by its
    # primary key; which way wins at scale is the planner's call, informed by
    # the raised statistics target below.
    plan = plan_of_search(cs_manager)
    assert "Bitmap Index Scan on proposals_search_doc" in plan, plan


@pytest.mark.postgresql_only
def test_postgresql_keeps_detailed_statistics_on_the_search_column(db):
    # platform-notes: with the default target the planner guessed 5,001 rows
    # for a word in 113 and walked the date index backwards for a second.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'proposals_search'::regclass AND attname = 'doc'"
        )
        assert cursor.fetchone()[0] == 10000


def test_issue7_an_unbroken_19000_letter_proposal_is_stored_and_its_words_stay_findable(
    db, cs_manager
):
    """PostgreSQL refuses a lexeme over 2,047 bytes; a proposal of 20,000
    letters with no space once gave a 500 there. The run is left out of the
    index, the words around it are not."""
    content = "退货 " + "x" * 19000 + " warranty"
    proposal = make_proposal(content=content)

    assert Proposal.objects.get(pk=proposal.pk).content == content
    assert "x" * 19000 not in search.tokens(content)
    assert "warranty" in search.tokens(content)
    assert found(cs_manager, "warranty") == [proposal.pk]
