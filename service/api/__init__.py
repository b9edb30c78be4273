"""The HTTP API: schemas (`schemas.py`), dependencies (`deps.py`) and one router per resource."""
