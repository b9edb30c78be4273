"""Placeholder: the docx loader is being written."""

from pathlib import Path

from kotae.errors import LoadError
from kotae.types import Extracted


def load_docx(path: Path) -> Extracted:
    """Not implemented yet."""
    raise LoadError("docx loader not implemented yet")
