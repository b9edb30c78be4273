"""The one analysis of a question every stage reads: its search tokens, its content words weighted by rarity
among the chunks the user may see, its embedding, and what it asks (`Analysis`: answer type, focus,
constraints, parts). Made once per question by `Searcher.query`; search, ask, draft and eval share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.compose.relevance import QueryTerms
from service.reader.analysis import Analysis


@dataclass(frozen=True)
class Query:
    """A question analysed for the index it is asked of."""

    text: str
    analysis: Analysis
    search_tokens: tuple[str, ...]  # BM25 tokens: the question's, its year variants' and its document words'
    terms: QueryTerms  # content words with their IDF among the visible chunks
    vector: Any  # the question's embedding (query side)
    access_groups: tuple[str, ...] | None  # whose statistics `terms` are (None: everything)

    @property
    def phrases(self) -> tuple[str, ...]:
        """The focus terms a passage should hold whole (compounds of two or more words: 宿泊税, 期日前投票)."""
        return tuple(t for t in self.analysis.focus if len(t) >= 3)
