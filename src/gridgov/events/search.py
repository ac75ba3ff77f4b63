"""Free-text search over cases: the terms a case is indexed under and the terms a query needs.

Chinese has no spaces, and the words people type are mostly two characters (噪音, 井盖, 路灯),
so a word index or a trigram index would miss most queries. A case is indexed under the
character bigrams of its title and address instead: every run of letters, digits and CJK
characters gives its overlapping pairs and its last character. A text that contains
the query contains every bigram of the query's runs, so "all of the query's bigrams" is a
superset of "contains the query"; the list then re-checks the exact substring on those
candidates, so results are the same as a plain ``LIKE '%q%'``, only found through an index.

The terms live in ``events.search_text`` (space-separated). SQLite indexes it with an FTS5
table kept by triggers, PostgreSQL with a GIN index over ``string_to_array(search_text, ' ')``
(migration 0023_event_search). A one-character query is a prefix search on SQLite (FTS5 reads
the term range); PostgreSQL's array index has no prefixes, so there it reads the table.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Letters, digits and CJK ideographs; everything else separates runs.
_RUN = re.compile(r"[^\W_]+")
# Enough to index a title and an address; a pathological text is cut rather than bloat the row.
MAX_TERMS = 400


def _runs(text: str) -> list[str]:
    return _RUN.findall(unicodedata.normalize("NFKC", text).casefold())


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document(*texts: str | None) -> str:
    """The space-separated terms a case is indexed under (unique, in first-seen order): each
    run's bigrams and its last character, so that every character of the text begins some
    term and a one-character search is a prefix search."""
    seen: dict[str, None] = {}
    for text in texts:
        for run in _runs(text or ""):
            for term in [*_bigrams(run), run[-1]]:
                seen.setdefault(term, None)
                if len(seen) >= MAX_TERMS:
                    return " ".join(seen)
    return " ".join(seen)


def query_terms(query: str) -> list[str]:
    """The terms every match must contain: the bigrams of the query's runs, or, for a query
    whose runs are all single characters, those characters as prefixes (``"x*"``); empty when
    the query has no letter, digit or ideograph at all."""
    runs = _runs(query)
    terms: dict[str, None] = {}
    for run in runs:
        for term in _bigrams(run):
            terms.setdefault(term, None)
    if not terms:
        for run in runs:
            terms.setdefault(f"{run}*", None)
    return list(terms)


def fts5_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression requiring every term (each quoted: terms are word characters
    only, but a bare term could read as an operator such as AND or NEAR; a trailing ``*``
    stays outside the quotes and makes the term a prefix)."""
    return " ".join(f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"' for t in terms)


def column_default(context: Any) -> str:
    """``events.search_text`` for an INSERT that does not set it (the ORM and Core inserts
    alike). Without a statement context (a bulk writer asking for a constant) it is empty:
    bulk writers set the column themselves."""
    if context is None:
        return ""
    params = context.get_current_parameters()
    return document(params.get("title"), params.get("address"))
