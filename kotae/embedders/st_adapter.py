"""sentence-transformers models from a local folder an admin configures (never from a model hub)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kotae.errors import EmbedderUnavailable

from . import Vectors, embedder_key, normalise_rows


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from `model_path` with the hub switched off."""

    name = "sentence-transformers"

    def __init__(self, model_path: str) -> None:
        path = Path(model_path)
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise EmbedderUnavailable(
                f"KOTAE_EMBEDDER_MODEL_PATH={model_path!r} is not a sentence-transformers model folder "
                "(no config.json or modules.json)"
            )
        # Belt and braces: even a misconfigured name must never reach a model hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                "embedder 'sentence-transformers' needs the optional install: pip install 'kotae[st]'"
            ) from exc
        try:
            self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbedderUnavailable(f"cannot load sentence-transformers model at {model_path}: {exc}") from exc
        # sentence-transformers 6 renamed the method (the old name warns); older releases have only the old one.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        self.name = embedder_key("sentence-transformers", model_path)

    def embed_passages(self, texts: list[str]) -> Vectors:
        """Embed passages (batched by the library)."""
        return normalise_rows(self._model.encode(texts, batch_size=32, convert_to_numpy=True))

    def embed_queries(self, texts: list[str]) -> Vectors:
        """Queries embed like passages for symmetric models."""
        return self.embed_passages(texts)
