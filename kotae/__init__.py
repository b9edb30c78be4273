"""Kotae shared core: types, settings, Japanese text helpers, embedders and the index.

Both the writer side (`ingest`) and the reader side (`service`) import this package; it imports neither.
"""

__version__ = "0.1.0"
