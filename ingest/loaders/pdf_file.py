"""Placeholder: the pdf loader is being written."""

from pathlib import Path

from kotae.errors import LoadError
from kotae.types import Extracted


def load_pdf(path: Path) -> Extracted:
    """Not implemented yet."""
    raise LoadError("pdf loader not implemented yet")
