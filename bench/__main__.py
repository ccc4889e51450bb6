"""Run every benchmark of the project."""

from bench import reads

reads.main()
