"""Full-text search over proposals, Chinese and English, on SQLite and PostgreSQL.

One tokenizer, in Python, feeds both databases (measured in
platform-notes.md, "Chinese full-text search at 1,000,000 rows"):

- each run of Chinese characters becomes its overlapping two-character
  tokens (退货流程 -> 退货 货流 流程); a run of one character is that character;
- English words and numbers are lower-cased words.

A two-character query is then one token and a longer one the phrase of its
bigrams, so a hit is exactly "the text contains these characters in a row",
the same answer LIKE gives, from an index. A one-character Chinese query has
no token of its own and falls back to LIKE.

Between two Chinese runs (separated by punctuation or another field) the
phrase must not continue, or 退货，货流程 would match 退货流程: SQLite gets a
marker token there, PostgreSQL a gap in the positions.

- SQLite: a contentless FTS5 table ``proposals_search`` whose rowid is the
  proposal id (migration 0002). A trigram tokenizer would find nothing for
  two characters.
- PostgreSQL: a side table ``proposals_search(proposal_id, doc tsvector)``
  with a GIN index; the tsvector is written from the tokens directly (no
  parser in between), and the query is cast the same way.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from django.db import connection

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKENS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
# Written into SQLite's index where a phrase must break; FTS5 is told that "|"
# is a token character (migration 0002), and no query token can ever be one.
BREAK = "|"
# PostgreSQL keeps positions up to 16383 in a tsvector and 256 per lexeme.
_PG_MAX_POSITION = 16383
_PG_MAX_POSITIONS_PER_LEXEME = 256
# PostgreSQL refuses a lexeme over 2,047 bytes ("word is too long"). Nobody
# searches by a word of over a hundred letters, so a longer run (a pasted
# hash, 20,000 letters with no space) is left out of the index, on both
# databases alike.
MAX_WORD = 100


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` in order, with BREAK where a phrase may not run
    on (between two Chinese runs)."""
    text = text or ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    previous_cjk = False
    for run, word in _TOKENS.findall(text):
        if run:
            if previous_cjk:
                out.append(BREAK)
            if len(run) == 1:
                out.append(run)
            else:
                out += [a + b for a, b in zip(run, run[1:], strict=False)]
            previous_cjk = True
        else:
            if len(word) <= MAX_WORD:
                out.append(word.lower())
            previous_cjk = False
    return out


def document(*fields: str) -> list[str]:
    """Tokens of several fields, with a break between fields."""
    out: list[str] = []
    for field in fields:
        part = tokens(field)
        if part:
            if out:
                out.append(BREAK)
            out.extend(part)
    return out


# --- queries ---------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A parsed search box: every phrase must be found (AND); ``like`` holds
    the one-character Chinese terms the index cannot answer."""

    phrases: tuple[tuple[str, ...], ...]
    like: tuple[str, ...]

    def __bool__(self):
        return bool(self.phrases or self.like)


_QUOTED = re.compile(r'"([^"]*)"|(\S+)')


def parse(q: str) -> Query:
    """Whitespace separates terms, all of which must match; ``"…"`` keeps
    several words together as one phrase (``"退货 policy"``). A term is the
    phrase of its tokens, cut where the tokenizer puts a break."""
    phrases: list[tuple[str, ...]] = []
    like: list[str] = []
    for quoted, bare in _QUOTED.findall(unicodedata.normalize("NFKC", q or "")):
        term = quoted if quoted else bare
        phrase: list[str] = []
        for token in [*tokens(term), BREAK]:
            if token != BREAK:
                phrase.append(token)
                continue
            if len(phrase) == 1 and _is_single_cjk(phrase[0]):
                like.append(phrase[0])
            elif phrase:
                phrases.append(tuple(phrase))
            phrase = []
    return Query(tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(like)))


def _is_single_cjk(token: str) -> bool:
    return len(token) == 1 and bool(re.match(rf"[{_CJK}]", token))


def fts5_match(query: Query) -> str:
    """SQLite FTS5 MATCH expression. Tokens are only letters, digits and
    Chinese characters, so quoting them needs no escaping."""
    return " AND ".join('"' + " ".join(phrase) + '"' for phrase in query.phrases)


def pg_tsquery(query: Query) -> str:
    """PostgreSQL tsquery text: each phrase its tokens joined by <->, all ANDed."""
    return " & ".join(
        "(" + " <-> ".join(f"'{token}'" for token in phrase) + ")" for phrase in query.phrases
    )


def matching_ids_sql(
    query: Query,
    *,
    before: int | None = None,
    after: int | None = None,
    descending: bool = True,
    limit: int | None = None,
) -> tuple[str, list]:
    """SQL (and params) for the ids of proposals matching ``query.phrases``.

    With ``limit`` the ordering and the limit run inside the index (the
    first page of a plain search: ids follow time), which is what keeps a
    frequent word fast; without it, every hit, for the caller to filter.
    """
    direction = "DESC" if descending else "ASC"
    if connection.vendor == "sqlite":
        column = "rowid"
        sql = "SELECT rowid FROM proposals_search WHERE proposals_search MATCH %s"
        params: list = [fts5_match(query)]
    else:
        column = "proposal_id"
        sql = "SELECT proposal_id FROM proposals_search WHERE doc @@ %s::tsquery"
        params = [pg_tsquery(query)]
    if before is not None:
        sql += f" AND {column} < %s"
        params.append(before)
    if after is not None:
        sql += f" AND {column} > %s"
        params.append(after)
    if limit is not None:
        sql += f" ORDER BY {column} {direction} LIMIT %s"
        params.append(limit)
    return sql, params


# --- writing the index -----------------------------------------------------


def _sqlite_doc(toks: list[str]) -> str:
    return " ".join(toks)


# Positions as text, made once: a document's literal is mostly these.
_POSITIONS = tuple(str(n) for n in range(1, _PG_MAX_POSITION + 1))


def _pg_doc(toks: list[str]) -> str:
    """A tsvector literal with positions: ``'退货':1 '货流':2``. A break
    leaves a gap of one position, so no phrase runs across it."""
    positions: dict[str, list[str]] = {}
    for position, token in zip(_POSITIONS, toks, strict=False):
        positions.setdefault(token, []).append(position)
    # PostgreSQL clamps positions past its maximum to the maximum.
    for token in toks[_PG_MAX_POSITION:]:
        at = positions.setdefault(token, [])
        if not at or at[-1] != _POSITIONS[-1]:
            at.append(_POSITIONS[-1])
    positions.pop(BREAK, None)
    return " ".join(
        "'" + token + "':" + ",".join(at[:_PG_MAX_POSITIONS_PER_LEXEME])
        for token, at in positions.items()
    )


def _doc(toks: list[str]) -> str:
    return _sqlite_doc(toks) if connection.vendor == "sqlite" else _pg_doc(toks)


def index_proposal(proposal) -> None:
    """Index one proposal (P4: every proposal is findable as soon as it is
    received). Called inside proposal_receive's transaction, so a rolled-back
    intake leaves no index row."""
    doc = _doc(document(proposal.title, proposal.content, proposal.reference or ""))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "INSERT INTO proposals_search (rowid, doc) VALUES (%s, %s)", [proposal.pk, doc]
            )
        else:
            cursor.execute(
                "INSERT INTO proposals_search (proposal_id, doc) VALUES (%s, %s::tsvector) "
                "ON CONFLICT (proposal_id) DO UPDATE SET doc = excluded.doc",
                [proposal.pk, doc],
            )


def bulk_index(rows: Iterable[tuple], *, batch: int = 5000) -> int:
    """Index many new proposals at once, for the seeder: ``rows`` are
    ``(id, title, content)`` or ``(id, title, content, reference)``.
    ``executemany`` on SQLite, ``COPY`` on PostgreSQL. Returns the count."""
    done = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(iterator, batch)):
            values = [(row[0], _doc(document(*row[1:]))) for row in chunk]
            if connection.vendor == "sqlite":
                cursor.executemany(
                    "INSERT INTO proposals_search (rowid, doc) VALUES (%s, %s)", values
                )
            else:
                with cursor.cursor.copy(
                    "COPY proposals_search (proposal_id, doc) FROM STDIN"
                ) as copy:
                    for value in values:
                        copy.write_row(value)
            done += len(values)
    return done
