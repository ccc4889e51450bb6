"""Run every benchmark of the project."""

from bench import reads, resources, uploads

reads.main()
resources.main()
uploads.main()
