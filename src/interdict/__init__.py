"""Interdict: a shared system against state-sponsored drug trafficking at sea.

Data flows one way: ingest -> store -> analyse -> share -> present. Start with `interdict.api`.
"""

__version__ = "0.1.0"
