"""Object ids stay unique across threads and forked processes."""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

from opencat.domain.ids import is_object_id, new_object_id, new_resource_id


def test_ids_are_unique_across_threads() -> None:
    with ThreadPoolExecutor(16) as pool:
        minted = list(pool.map(lambda _: new_object_id(), range(20_000)))
    assert len(set(minted)) == len(minted)
    assert all(is_object_id(value) for value in minted)


def test_a_forked_child_mints_other_ids_than_its_parent() -> None:
    new_object_id()  # the parent's source is in use before the fork, as in a server
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        os.write(writer, ",".join(new_object_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        from_child = set(pipe.read().split(","))
    os.waitpid(child, 0)
    from_parent = {new_object_id() for _ in range(100)}
    assert len(from_child) == 100
    assert not from_child & from_parent
    # Beyond the counter: the per-process random bytes differ too.
    assert {value[8:18] for value in from_child}.isdisjoint({value[8:18] for value in from_parent})


def test_resource_ids_are_unique_version_4_uuids_across_threads() -> None:
    with ThreadPoolExecutor(16) as pool:
        minted = list(pool.map(lambda _: new_resource_id(), range(20_000)))  # many 4 kB draws
    assert len(set(minted)) == len(minted)
    assert all(uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value for value in minted)


def test_a_forked_child_mints_other_resource_ids_than_its_parent() -> None:
    new_resource_id()  # the parent's buffer of random bytes is drawn before the fork
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        os.write(writer, ",".join(new_resource_id() for _ in range(100)).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        from_child = set(pipe.read().split(","))
    os.waitpid(child, 0)
    from_parent = {new_resource_id() for _ in range(100)}
    assert len(from_child) == 100
    assert not from_child & from_parent
