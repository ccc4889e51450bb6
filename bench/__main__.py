"""Run every benchmark of the project."""

from bench import reads, resources

reads.main()
resources.main()
