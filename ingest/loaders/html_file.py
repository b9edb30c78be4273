"""Placeholder: the html loader is being written."""

from pathlib import Path

from kotae.errors import LoadError
from kotae.types import Extracted


def load_html(path: Path) -> Extracted:
    """Not implemented yet."""
    raise LoadError("html loader not implemented yet")
