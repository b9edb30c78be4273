"""The stages a question passes on the reader side: analysis (`analysis.py`, once, as a `Query`) -> candidates
(`candidates.py`, gathered by `search.py`) -> fuse (`fuse.py`) -> constrain (`search.py`: places, `periods.py`
years, phrases) -> select (`select.py`) -> extract (`extract.py`, with `facts.py` and `morphology.py`) -> compose
(`service/compose/`); for a question wanting a fact, rerank (`rerank.py`, the focus held) between select and
extract."""
