"""The external baseline: what a user would build with LlamaIndex's defaults.

SimpleDirectoryReader over the folders holding the gold files, the default node parser (SentenceSplitter,
1,024 tokens), a VectorStoreIndex on Chroma with the same embedder as Kotae, and BM25Retriever with its
default (English) tokenizer. Nothing is tuned: this is the thing Kotae must beat.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from eval.metrics import Retrieved
from eval.runner import SearchFn
from kotae.embedders import Embedder


def _embedding_adapter(embedder: Embedder) -> Any:
    """Our embedder as a LlamaIndex embedding model (passages and queries as Kotae embeds them)."""
    from llama_index.core.embeddings import BaseEmbedding

    class KotaeEmbedding(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in embedder.embed_queries([query])[0]]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in embedder.embed_passages([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in embedder.embed_passages(texts)]

    return KotaeEmbedding(model_name=embedder.name, embed_batch_size=64)


class LlamaIndexBaseline:
    """Builds the default pipeline once; `dense` and `bm25` search it."""

    def __init__(self, data_root: Path, folders: list[str], embedder: Embedder) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
        from llama_index.retrievers.bm25 import BM25Retriever
        from llama_index.vector_stores.chroma import ChromaVectorStore

        Settings.llm = None  # retrieval only; never reach for an LLM API
        Settings.embed_model = _embedding_adapter(embedder)
        self.data_root = data_root
        self._tmp = tempfile.TemporaryDirectory()
        documents = []
        for folder in folders:
            documents += SimpleDirectoryReader(str(data_root / folder), recursive=True).load_data()
        client = chromadb.PersistentClient(self._tmp.name, settings=ChromaSettings(anonymized_telemetry=False))
        store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("llamaindex_baseline"))
        # What `VectorStoreIndex.from_documents` does with its defaults, done in the open so that BM25Retriever
        # gets the same nodes (a vector store keeps none in the docstore).
        nodes = Settings.node_parser.get_nodes_from_documents(documents)
        self.index = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store))
        self.node_count = len(nodes)
        self._bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10)

    def _retrieved(self, results: Any) -> list[Retrieved]:
        out: list[Retrieved] = []
        for item in results:
            node = item.node
            path = Path(node.metadata.get("file_path", ""))
            source = path.relative_to(self.data_root).as_posix() if path.is_relative_to(self.data_root) else str(path)
            out.append(Retrieved(source, int(node.start_char_idx or 0), int(node.end_char_idx or 0)))
        return out

    def dense(self) -> SearchFn:
        """Search the VectorStoreIndex with its default retriever."""

        def search(text: str, k: int) -> list[Retrieved]:
            return self._retrieved(self.index.as_retriever(similarity_top_k=k).retrieve(text))

        return search

    def bm25(self) -> SearchFn:
        """Search with BM25Retriever's defaults (an English tokenizer and stemmer)."""

        def search(text: str, k: int) -> list[Retrieved]:
            return self._retrieved(self._bm25.retrieve(text)[:k])

        return search
