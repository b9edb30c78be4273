"""The stages a question passes on the reader side: analysis (`analysis.py`, once, as a `Query`) -> candidates,
fuse, constrain, select (`search.py`, with `fuse.py`) -> extract (`extract.py`) -> compose (`service/compose/`)."""
