"""Run every benchmark of the project (the search one on a small catalog: see bench/search.py)."""

import sys

from bench import rdf, reads, resources, search, uploads

reads.main()
resources.main()
uploads.main()
rdf.main([])
search.main(["--datasets", sys.argv[1] if len(sys.argv) > 1 else "20000"])
