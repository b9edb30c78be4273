"""What retrieval keeps in memory about the committed chunks: filter fields as numpy arrays aligned with the
lexical index, and the 会議録 structure (which answer turns follow which member's question).

In 会議録 a member asks (often many topics at once) and executives answer in the turns that follow, until the
next member speaks. `answer_block_of[i]` names, for an executive chunk, the member turn it answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kotae.index.catalog import ChunkFacts
from service.filters import Filters

ROLE_CODES = {"chair": 1, "member": 2, "executive": 3, "other": 4}
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
MASK_CACHE_SIZE = 32  # filter combinations whose masks a view keeps (a million chunks: 1 MB each)


@dataclass
class IndexView:
    """Per-chunk arrays, position i = the chunk `chunk_ids[i]` of the lexical index. Never changed once built
    (a new catalogue generation gets a new view), so what is derived from it is computed once."""

    chunk_ids: list[str]
    position: dict[str, int]
    sources: list[str]
    source_of: IntArray  # index into `sources`
    role: IntArray  # ROLE_CODES, 0 when the chunk has no speaker
    turn_of: IntArray  # global turn id, -1 outside turns
    question_turn_of: IntArray  # for executive chunks: the global turn id of the member's question, else -1
    doc_type: list[str]
    doc_type_of: IntArray
    date_of: IntArray  # yyyymmdd, 0 when unknown
    speaker_text: list[str]  # speaker name + title, for the speaker filter
    text_hash: list[str]
    groups_of_source: list[frozenset[str]]  # access groups of each of `sources`
    municipality_of_source: list[str | None] = field(default_factory=list)  # 自治体名 of each of `sources`
    article_of: list[str | None] = field(default_factory=list)  # 例規 article label (第7条), None elsewhere
    # Derived from the fields above in __post_init__; at a million chunks each costs milliseconds per query.
    text_hash_id: IntArray = field(init=False, repr=False)  # equal ids = equal texts
    speaker_texts: list[str] = field(init=False, repr=False)  # the distinct values of `speaker_text`
    speaker_text_id: IntArray = field(init=False, repr=False)  # index into `speaker_texts`
    n_turns: int = field(init=False, repr=False)
    answer_positions: IntArray = field(init=False, repr=False)  # chunks answering a member's turn
    asking_positions: IntArray = field(init=False, repr=False)  # members' chunks inside a turn
    may_stand_alone: BoolArray = field(init=False, repr=False)  # neither answers a question nor asks one
    article_positions: IntArray = field(init=False, repr=False)  # chunks of documents read by article
    _masks: dict[tuple[Filters, tuple[str, ...] | None], BoolArray] = field(init=False, repr=False)
    _masks_lock: threading.Lock = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _, self.text_hash_id = _distinct(self.text_hash)
        self.speaker_texts, self.speaker_text_id = _distinct(self.speaker_text)
        self.n_turns = int(self.turn_of.max()) + 1 if len(self.turn_of) and self.turn_of.max() >= 0 else 0
        self.answer_positions = np.flatnonzero(self.question_turn_of >= 0)
        self.asking_positions = np.flatnonzero((self.role == ROLE_CODES["member"]) & (self.turn_of >= 0))
        self.may_stand_alone = (self.question_turn_of < 0) & (self.role != ROLE_CODES["member"])
        articled = {int(self.source_of[i]) for i, a in enumerate(self.article_of) if a is not None}
        self.article_positions = np.array([i for i, s in enumerate(self.source_of) if int(s) in articled],
                                          dtype=np.int64)
        self._masks = {}
        self._masks_lock = threading.Lock()

    def mask(self, filters: Filters, *, roles: tuple[str, ...] | None = None) -> BoolArray:
        """Chunks passing `filters`; `roles` replaces the role filter (used to find the member's questions).

        Read-only and shared: the same filters give the same mask for the life of the view, so the last few
        are kept (a search needs two, and at a million chunks each took milliseconds to compute)."""
        key = (filters, roles)
        cached = self._masks.get(key)
        if cached is not None:
            return cached
        keep = self._compute_mask(filters, roles)
        keep.setflags(write=False)
        with self._masks_lock:
            if len(self._masks) >= MASK_CACHE_SIZE:
                self._masks.pop(next(iter(self._masks)))
            self._masks[key] = keep
        return keep

    def _compute_mask(self, filters: Filters, roles: tuple[str, ...] | None) -> BoolArray:
        keep = np.ones(len(self.chunk_ids), dtype=bool)
        if filters.access_groups is not None:
            keep &= np.isin(self.source_of, self.visible_sources(filters.access_groups))
        if filters.doc_type:
            wanted = [i for i, t in enumerate(self.doc_type) if t in filters.doc_type]
            keep &= np.isin(self.doc_type_of, wanted)
        if filters.municipality:
            wanted = [i for i, m in enumerate(self.municipality_of_source) if m in filters.municipality]
            keep &= np.isin(self.source_of, wanted)
        if filters.source_prefix:
            wanted = [i for i, s in enumerate(self.sources) if s.startswith(filters.source_prefix)]
            keep &= np.isin(self.source_of, wanted)
        if filters.date_from:
            keep &= self.date_of >= int(filters.date_from.replace("-", ""))
        if filters.date_to:
            keep &= (self.date_of > 0) & (self.date_of <= int(filters.date_to.replace("-", "")))
        wanted_roles = filters.speaker_role if roles is None else roles
        if wanted_roles:
            keep &= np.isin(self.role, [ROLE_CODES[r] for r in wanted_roles])
        if filters.speaker and roles is None:
            # Each distinct speaker is tested once (hundreds), not each of a million chunks.
            matching = np.array([any(s in text for s in filters.speaker) for text in self.speaker_texts], dtype=bool)
            keep &= matching[self.speaker_text_id]
        return keep

    def visible_sources(self, groups: tuple[str, ...]) -> list[int]:
        """Indexes into `sources` of the documents sharing at least one of `groups`."""
        wanted = set(groups)
        return [i for i, g in enumerate(self.groups_of_source) if g & wanted]


def _distinct(values: list[str]) -> tuple[list[str], IntArray]:
    """The distinct values in first-seen order, and for each value its index among them."""
    index: dict[str, int] = {}
    ids = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))
    return list(index), ids


def build_view(chunk_ids: list[str], facts: list[ChunkFacts]) -> IndexView:
    """Align `facts` with the lexical index's `chunk_ids` and derive the question/answer structure."""
    by_id = {f.chunk_id: f for f in facts}
    ordered = [by_id[c] for c in chunk_ids if c in by_id]
    if len(ordered) != len(chunk_ids):
        raise ValueError("the lexical index and the catalogue disagree; rebuild with `kotae ingest`")
    sources = sorted({f.source for f in ordered})
    source_index = {s: i for i, s in enumerate(sources)}
    doc_types = sorted({f.doc_type for f in ordered})
    type_index = {t: i for i, t in enumerate(doc_types)}
    turn_ids: dict[tuple[str, int], int] = {}
    for f in sorted(ordered, key=lambda f: (f.source, f.turn or 0)):
        if f.turn is not None:
            turn_ids.setdefault((f.source, f.turn), len(turn_ids))
    question_of_turn = _question_turns(ordered, turn_ids)
    turn_of = np.array([turn_ids.get((f.source, f.turn), -1) if f.turn is not None else -1 for f in ordered])
    role = np.array([ROLE_CODES.get(f.speaker_role or "", 0) for f in ordered])
    return IndexView(
        chunk_ids=list(chunk_ids),
        position={c: i for i, c in enumerate(chunk_ids)},
        sources=sources,
        source_of=np.array([source_index[f.source] for f in ordered], dtype=np.int64),
        role=role.astype(np.int64),
        turn_of=turn_of.astype(np.int64),
        question_turn_of=np.array(
            [
                question_of_turn.get(int(t), -1) if r == ROLE_CODES["executive"] else -1
                for t, r in zip(turn_of, role, strict=True)
            ],
            dtype=np.int64,
        ),
        doc_type=doc_types,
        doc_type_of=np.array([type_index[f.doc_type] for f in ordered], dtype=np.int64),
        date_of=np.array([int(f.date.replace("-", "")) if f.date else 0 for f in ordered], dtype=np.int64),
        speaker_text=[(f.speaker or "") + (f.speaker_title or "") for f in ordered],
        text_hash=[f.text_hash for f in ordered],
        groups_of_source=_groups_of_sources(sources, ordered),
        municipality_of_source=_municipality_of_sources(sources, ordered),
        article_of=[f.article for f in ordered],
    )


def _municipality_of_sources(sources: list[str], facts: list[ChunkFacts]) -> list[str | None]:
    municipality = {f.source: f.municipality for f in facts}
    return [municipality[s] for s in sources]


def _groups_of_sources(sources: list[str], facts: list[ChunkFacts]) -> list[frozenset[str]]:
    groups = {f.source: frozenset(f.access_groups) for f in facts}
    return [groups[s] for s in sources]


def _question_turns(facts: list[ChunkFacts], turn_ids: dict[tuple[str, int], int]) -> dict[int, int]:
    """For every turn, the id of the latest member turn before it in the same document."""
    role_of_turn = {turn_ids[(f.source, f.turn)]: f.speaker_role for f in facts if f.turn is not None}
    question: dict[int, int] = {}
    last: tuple[str, int] | None = None
    for (source, _turn), turn_id in sorted(turn_ids.items()):
        if last is not None and last[0] != source:
            last = None
        if role_of_turn.get(turn_id) == "member":
            last = (source, turn_id)
        elif last is not None:
            question[turn_id] = last[1]
    return question
