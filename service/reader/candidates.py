"""What the candidates stage of a search hands on (`Searcher._candidates` finds them, from one snapshot's BM25
index and vectors): every chunk's lexical score and the dense candidates' cosines, among the chunks the user may
see, with the masks of the chunks the search is for. The fuse stage (`fuse.rank`) scores them; the select stage
(`select.select`) shows each hit's single scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.reader.index_view import BoolArray

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Visibility:
    """The chunks one user may see (`mask`), for the `groups` they belong to; `hidden` counts the others."""

    mask: BoolArray
    groups: tuple[str, ...]
    hidden: int


@dataclass(frozen=True)
class Candidates:
    """One search's candidates, by position in the index view. A chunk the user may not see is never one: its
    lexical score is 0 and it has no cosine."""

    lexical: FloatArray  # BM25 score of every chunk (0: shares no token with the query, or hidden)
    cosine: dict[int, float]  # position -> cosine similarity, for the dense candidates only
    target: BoolArray  # the chunks passing the search's filters (what it may return)
    questions: BoolArray  # members' chunks passing them but for speaker role and name (the turn evidence)
    visible: Visibility | None  # what the user may see; None: every chunk
