"""Faults of the local machine made for real: a directory nobody may write in, root included."""

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def immutable(directory: Path) -> Iterator[None]:
    """``chattr +i`` for the block (the only way to refuse root a write); the test is skipped where
    the file system or the user cannot do it."""
    try:
        subprocess.run(["chattr", "+i", str(directory)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("chattr +i is not available here (not root, or a file system without it)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)
