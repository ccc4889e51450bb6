"""The search benchmark (``python -m bench.search``; what it does: ``bench/search/run.py``).

Its parts: ``loading`` (the generated catalog into the databases and the search index, kept for
``--reuse``), ``postgres`` (the bench database's lifecycle), ``queries`` (the cases and the words
they ask), ``timing`` (rounds through the handlers, split by index, database and the rest),
``report`` (the tables), ``run`` (the command line).
"""

from bench.search.run import main

__all__ = ["main"]
