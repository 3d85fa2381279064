"""The studio: a read-only web view of one database and its migrations.

`reads` gathers the facts (through the engine's own API and the catalog introspection), `app`
serves them as HTML pages and as the JSON behind them. Every connection it opens is read-only
at the database level, and no page runs SQL a visitor typed.
"""
from .app import create_app

__all__ = ["create_app"]
