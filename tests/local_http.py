"""A local HTTP server run on a thread for the length of a test."""

import contextlib
import threading
from collections.abc import Iterator
from socketserver import BaseServer
from typing import TypeVar

Server = TypeVar("Server", bound=BaseServer)


@contextlib.contextmanager
def serving(server: Server) -> Iterator[Server]:
    """``server`` answers on a thread inside the block, and is closed after it. Its loop checks for
    shutdown every 10 ms: the standard half second made each test's teardown wait that long."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
