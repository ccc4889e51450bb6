"""``python -m bench``: the through-HTTP benchmark (bench/http), with its options.

``python -m bench inprocess [N]``: the in-process breakdown, every benchmark that times the app
without HTTP (reads, resources, uploads, RDF, and search on N datasets, 20,000 by default).

``python -m bench index-commits``: what a commit of the search index costs (bench/index_commits.py).
"""

import sys

if sys.argv[1:2] == ["inprocess"]:
    from bench import rdf, reads, resources, search, uploads

    del sys.argv[1]  # bench.reads reads N from the command line as it always did
    reads.main()
    resources.main()
    uploads.main()
    rdf.main([])
    search.main(["--datasets", sys.argv[1] if len(sys.argv) > 1 else "20000"])
elif sys.argv[1:2] == ["index-commits"]:
    from bench import index_commits

    index_commits.main(sys.argv[2:])
else:
    from bench.http.run import main

    main(sys.argv[1:])
