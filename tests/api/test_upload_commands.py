"""Upload commands: udata's form fields become typed commands in api/, each one write transaction
in the catalog; refusals carry a reason that api/ words; expired uploads are purged at most once
per interval (udata: udata/core/storages/api.py)."""

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any, BinaryIO

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import upload_sessions, uploads
from opencat.catalog.context import Catalog, Throttle
from opencat.config import Settings
from opencat.db import resources as db_resources
from opencat.domain.accounts import Actor
from opencat.domain.errors import NotFound, Reason, Unavailable, UploadProblem, UploadRefused
from opencat.domain.uploads import MAX_PARTS
from opencat.files.base import FileStore
from tests.conftest import FixedClock, utc
from tests.factories import Account, make_dataset, make_user

SESSION = "5b1f4c1e-8d1e-4a55-9b0e-2f8d7c9a6e01"


@pytest.fixture
def owner(catalog: Catalog) -> Account:
    return make_user(catalog)


@pytest.fixture
def dataset_id(catalog: Catalog, owner: Account) -> str:
    return make_dataset(catalog, owner, title="Relevés").dataset.id


def _post(client: TestClient, url: str, owner: Account, content: bytes | None, **fields: Any) -> Any:
    files = None if content is None else {"file": ("part.bin", content)}
    data = {name: str(value) for name, value in fields.items()}
    return client.post(url, files=files, data=data, headers=owner.headers)


@pytest.mark.parametrize(
    ("content", "fields", "error"),
    [
        (None, {"filename": "a.csv"}, "Missing file parameter"),
        (b"x", {"totalparts": 3, "partindex": 0, "chunksize": 1}, "Missing or invalid uuid parameter"),
        (b"x", {"totalparts": 3, "uuid": "a/b", "partindex": 0}, "Missing or invalid uuid parameter"),
        (b"x", {"totalparts": 3, "uuid": "..", "partindex": 0}, "Missing or invalid uuid parameter"),
        (b"x", {"totalparts": 3, "uuid": ".hidden", "partindex": 0}, "Missing or invalid uuid parameter"),
        (b"x", {"totalparts": 3, "uuid": "a" * 65, "partindex": 0}, "Missing or invalid uuid parameter"),
        (b"x", {"totalparts": MAX_PARTS + 1, "uuid": SESSION}, f"totalparts must be at most {MAX_PARTS}"),
        (b"x", {"totalparts": 3, "uuid": SESSION, "chunksize": 1}, "partindex must be between 0 and 2"),
        (b"x", {"totalparts": 3, "uuid": SESSION, "partindex": 3}, "partindex must be between 0 and 2"),
        (b"x", {"totalparts": 3, "uuid": SESSION, "partindex": 0}, "Chunk size mismatch"),
        (None, {"totalparts": 3, "uuid": SESSION}, "Unknown upload uuid"),
    ],
)
def test_form_fields_are_refused_in_udata_upload_shape(
    client: TestClient,
    owner: Account,
    dataset_id: str,
    content: bytes | None,
    fields: dict[str, Any],
    error: str,
) -> None:
    response = _post(client, f"/api/1/datasets/{dataset_id}/upload/", owner, content, **fields)
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": error}


@pytest.mark.parametrize(
    ("fields", "name", "raw"),
    [
        ({"totalparts": "many"}, "totalparts", "many"),
        ({"totalparts": 3, "uuid": SESSION, "partindex": "first"}, "partindex", "first"),
        ({"totalparts": 3, "uuid": SESSION, "partindex": 0, "chunksize": "1b"}, "chunksize", "1b"),
        # Read whether the upload uses them or not, as udata's parser reads every one it declares.
        ({"partindex": "zz"}, "partindex", "zz"),
        (
            {"totalparts": 3, "uuid": SESSION, "partindex": 0, "chunksize": 1, "partbyteoffset": "abc"},
            "partbyteoffset",
            "abc",
        ),
        ({"totalparts": "many", "partindex": "first"}, "partindex", "first"),
        ({"partindex": ""}, "partindex", ""),
        ({"totalparts": ""}, "totalparts", ""),
    ],
)
def test_a_number_that_is_none_is_refused_as_udata_reqparse_refuses_it(
    client: TestClient, owner: Account, dataset_id: str, fields: dict[str, Any], name: str, raw: str
) -> None:
    response = _post(client, f"/api/1/datasets/{dataset_id}/upload/", owner, b"x", **fields)
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": {name: f"invalid literal for int() with base 10: '{raw}'"},
            "message": "Input payload validation failed",
        },
    )


@pytest.mark.parametrize("session", ["o_T4Y8dTZ2s-Qx", "upload.1", "a" * 64])
def test_a_client_chosen_id_of_url_safe_characters_uploads(
    client: TestClient, owner: Account, dataset_id: str, session: str
) -> None:
    """udata takes any text as ``uuid``; clients choose nanoid or base64url ids, or dotted ones."""
    url = f"/api/1/datasets/{dataset_id}/upload/"
    for index, part in enumerate((b"a,b\n", b"1,2\n")):
        sent = _post(client, url, owner, part, uuid=session, partindex=index, totalparts=2, chunksize=4)
        assert sent.json() == {"success": True, "error": None}
    assert client.get(f"/api/1/uploads/{session}/", headers=owner.headers).json()["received"] == [0, 1]
    done = _post(client, url, owner, None, uuid=session, totalparts=2, filename="ab.csv")
    assert done.status_code == 201, done.text
    assert client.get(done.json()["url"]).content == b"a,b\n1,2\n"


def test_a_repeated_field_is_read_from_its_first_value(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    """reqparse reads the first value of a repeated form field (werkzeug's MultiDict)."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="totalparts"\r\n\r\nmany\r\n'
        b'--b\r\nContent-Disposition: form-data; name="totalparts"\r\n\r\n1\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nx\r\n--b--\r\n'
    )
    headers = {**owner.headers, "Content-Type": "multipart/form-data; boundary=b"}
    response = client.post(f"/api/1/datasets/{dataset_id}/upload/", content=body, headers=headers)
    assert response.json()["errors"] == {"totalparts": "invalid literal for int() with base 10: 'many'"}


def test_an_extended_file_name_is_read(client: TestClient, owner: Account, dataset_id: str) -> None:
    """RFC 5987's ``filename*``, which werkzeug reads for udata (and prefers to ``filename``)."""
    for disposition in (
        b"form-data; name=\"file\"; filename*=UTF-8''%C3%A9t%C3%A9.csv",
        b'form-data; name="file"; filename="other.csv"; filename*=utf-8\'\'%C3%A9t%C3%A9.csv',
    ):
        body = b"--b\r\nContent-Disposition: " + disposition + b"\r\n\r\na,b\n1,2\n\r\n--b--\r\n"
        headers = {**owner.headers, "Content-Type": "multipart/form-data; boundary=b"}
        response = client.post(f"/api/1/datasets/{dataset_id}/upload/", content=body, headers=headers)
        assert response.status_code == 201, response.text
        assert response.json()["title"] == "ete.csv"  # the name as udata stores it (transliterated)


def test_state_refusals_name_what_the_client_needs(
    client: TestClient, catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    url = f"/api/1/datasets/{dataset_id}/upload/"
    chunked = {"uuid": SESSION, "totalparts": 2, "filename": "two.csv"}
    assert _post(client, url, owner, b"ab", partindex=0, chunksize=2, **chunked).status_code == 200
    assert _post(client, url, owner, None, **chunked).json()["error"] == "Missing parts: [1]"
    # Parts that said 3, a last call that says 2: the counts disagree, whatever is missing.
    assert (
        _post(client, url, owner, b"c", partindex=1, chunksize=1, **{**chunked, "totalparts": 3}).status_code
        == 200
    )
    assert (
        _post(client, url, owner, None, **chunked).json()["error"] == "totalparts does not match the upload"
    )
    assert _post(client, url, owner, b"c", partindex=1, chunksize=1, **chunked).status_code == 200
    assert _post(client, url, owner, None, **{**chunked, "totalparts": 3}).json() == {
        "success": False,
        "error": "totalparts does not match the upload",
    }
    declared = "AB" + "0" * 38
    assert _post(client, url, owner, None, checksum=f" {declared} ", **chunked).json() == {
        "success": False,
        "error": f"Checksum mismatch: expected {declared}, got sha1 {hashlib.sha1(b'abc').hexdigest()}",
    }
    stranger = make_user(catalog)
    elsewhere = make_dataset(catalog, stranger).dataset.id
    foreign = _post(
        client, f"/api/1/datasets/{elsewhere}/upload/", stranger, b"x", partindex=0, chunksize=1, **chunked
    )
    assert foreign.json() == {"success": False, "error": "This uuid belongs to another upload"}
    assert client.get(f"/api/1/uploads/{SESSION}/", headers=stranger.headers).json()["message"] == (
        "Unknown upload uuid"
    )
    assert _post(client, url, owner, None, **chunked).status_code == 201


def _spooled(catalog: Catalog, content: bytes) -> Any:
    spool = uploads.open_spool(catalog)
    spool.write(content)
    return spool.finish()


def _chunk(catalog: Catalog, session: str, index: int, content: bytes, total: int = 2) -> uploads.Chunk:
    return uploads.Chunk(session, index, total, len(content), _spooled(catalog, content), "parts.csv")


def test_commands_are_valid_by_construction(catalog: Catalog) -> None:
    with pytest.raises(UploadRefused) as refused:
        uploads.FinalCall("../elsewhere", 2)
    assert refused.value.problem is UploadProblem.INVALID_SESSION_ID
    with pytest.raises(UploadRefused) as refused:
        uploads.FinalCall(SESSION, MAX_PARTS + 1)
    assert (refused.value.problem, refused.value.limit) == (UploadProblem.TOO_MANY_PARTS, MAX_PARTS)
    spooled = _spooled(catalog, b"x")
    with pytest.raises(UploadRefused) as refused:
        uploads.Chunk(SESSION, 2, 2, 1, spooled, "x.csv")
    assert (refused.value.problem, refused.value.limit) == (UploadProblem.PART_INDEX_OUT_OF_RANGE, 1)


@pytest.fixture
def transactions(catalog: Catalog) -> Iterator[list[str]]:
    """Every transaction the database begins, as "read" or "write" (db/engine.py's write option)."""
    begun: list[str] = []

    def on_begin(conn: sa.Connection) -> None:
        begun.append("write" if conn.get_execution_options().get("opencat_write") else "read")

    sa.event.listen(catalog.db.engine, "begin", on_begin)
    yield begun
    sa.event.remove(catalog.db.engine, "begin", on_begin)


def test_each_command_writes_in_as_few_transactions_as_it_can(
    catalog: Catalog, owner: Account, dataset_id: str, transactions: list[str]
) -> None:
    actor = owner.actor(catalog)
    assert catalog.upload_purge.due(catalog.clock())  # take the purge's turn: no part below runs it
    transactions.clear()
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    assert transactions == ["read"]  # before the body: access, room, where the upload goes

    transactions.clear()
    simple = uploads.SimpleUpload(_spooled(catalog, b"a,b\n"), "simple.csv")
    assert uploads.run(catalog, actor, destination, simple).created
    # The key reserved (``pending_files``), the file put outside any transaction, then the
    # resource written and the reservation released in one.
    assert transactions == ["write", "write"]

    for index, content in enumerate((b"a,", b"b\n")):
        transactions.clear()
        assert (
            uploads.run(catalog, actor, destination, _chunk(catalog, SESSION, index, content)).resource
            is None
        )
        # The part's key reserved, then the session claimed, the part recorded, its reservation
        # released and the part put, in one.
        assert transactions == ["write", "write"]

    transactions.clear()
    final = uploads.FinalCall(SESSION, 2, "whole.csv")
    outcome = uploads.run(catalog, actor, destination, final)
    assert outcome.resource is not None
    assert outcome.resource.filesize == 4
    # One read finds the session and its parts; the parts are assembled outside any transaction;
    # one write reserves the key, the file is put, one write checks again, publishes, forgets the
    # session and marks its parts for removal; once they are deleted, one write lets them go (a
    # process killed before that leaves them to the sweep, not in the store for good).
    assert transactions == ["read", "write", "write", "write"]


class _ResendingStore:
    """The real store; the first time a part is read, the client sends another part 1."""

    def __init__(self, store: FileStore, resend: Any) -> None:
        self._store = store
        self._resend = resend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def open(self, key: str) -> BinaryIO:
        resend, self._resend = self._resend, None
        if resend is not None:
            resend()
        return self._store.open(key)


@pytest.mark.parametrize("again", [b"longer\n", b"B\n"], ids=["another size", "the same size"])
def test_a_part_sent_again_during_the_assembly_stops_the_publication(
    catalog: Catalog, owner: Account, dataset_id: str, again: bytes
) -> None:
    """Even of the same size, at the same instant by the clock: its stamp is after the one it
    replaces (the same size was published with the old bytes)."""
    catalog = replace(catalog, clock=FixedClock(utc(2026, 12, 6)))
    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    for index, content in enumerate((b"a,", b"b\n")):
        uploads.run(catalog, actor, destination, _chunk(catalog, SESSION, index, content))

    def resend() -> None:
        uploads.run(catalog, actor, destination, _chunk(catalog, SESSION, 1, again))

    racing = replace(catalog, files=_ResendingStore(catalog.files, resend))
    with pytest.raises(UploadRefused) as refused:
        uploads.run(racing, actor, destination, uploads.FinalCall(SESSION, 2))
    assert refused.value.problem is UploadProblem.PARTS_CHANGED
    # Nothing was published, the parts are kept: the final call can be sent again.
    outcome = uploads.run(catalog, actor, destination, uploads.FinalCall(SESSION, 2))
    assert outcome.resource is not None
    assert outcome.resource.filesize == len(b"a," + again)
    with catalog.files.open(outcome.resource.url.rsplit("/resources/", 1)[1]) as published:
        assert published.read() == b"a," + again


def _session_exists(catalog: Catalog, actor: Actor, session: str) -> bool:
    try:
        upload_sessions.upload_status(catalog, actor, session)
    except NotFound:
        return False
    return True


def test_expired_uploads_are_purged_when_a_part_arrives_at_most_once_per_interval(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    clock = FixedClock(utc(2024, 3, 1, 12))
    timed = replace(
        catalog,
        clock=clock,
        upload_retention=timedelta(minutes=1),
        upload_purge=Throttle(timedelta(minutes=5)),
    )
    actor = owner.actor(timed)
    destination = uploads.authorize(timed, actor, uploads.UploadTarget(dataset_id))
    sessions = [f"{SESSION[:-1]}{n}" for n in range(3)]

    uploads.run(timed, actor, destination, _chunk(timed, sessions[0], 0, b"a"))  # the first purge
    clock.now += timedelta(minutes=2)  # the first upload has expired, the last purge is recent
    uploads.run(timed, actor, destination, _chunk(timed, sessions[1], 0, b"b"))
    assert _session_exists(timed, actor, sessions[0])

    clock.now += timedelta(minutes=4)  # six minutes since the last purge: a part triggers one
    uploads.run(timed, actor, destination, _chunk(timed, sessions[2], 0, b"c"))
    assert [_session_exists(timed, actor, session) for session in sessions] == [False, False, True]
    assert [timed.files.exists(f".uploads/{session}/0") for session in sessions] == [False, False, True]
    assert upload_sessions.purge_expired_uploads(timed) == 0


def test_the_throttle_lets_a_chore_through_once_per_interval() -> None:
    throttle = Throttle(timedelta(minutes=5))
    start = utc(2024, 3, 1, 12)
    moments = [start, start + timedelta(minutes=4), start + timedelta(minutes=5), start - timedelta(hours=1)]
    # A clock set back by an hour does not hold the chore off for an hour.
    assert [throttle.due(moment) for moment in moments] == [True, False, True, True]


def test_a_file_whose_transaction_does_not_commit_is_removed(
    catalog: Catalog, owner: Account, dataset_id: str, settings: Settings
) -> None:
    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    command = uploads.SimpleUpload(_spooled(catalog, b"a,b\n"), "refused.csv")

    def refuse(_conn: sa.Connection) -> None:
        raise RuntimeError("the database refused the commit")

    sa.event.listen(catalog.db.engine, "commit", refuse)
    try:
        with pytest.raises(RuntimeError, match="refused the commit"):
            uploads.run(catalog, actor, destination, command)
    finally:
        sa.event.remove(catalog.db.engine, "commit", refuse)
    stored = [path for path in (settings.data_dir / "files").rglob("*") if path.is_file()]
    assert [path for path in stored if ".spool" not in path.parts] == []


def test_two_first_parts_of_one_uuid_at_once_make_one_session(catalog: Catalog) -> None:
    """Two callers sending part 0 of one uuid to their own datasets at the same moment: one makes
    the session, the other is told it is another's (PostgreSQL answered a duplicate key's 500, or
    let the second take the first's session over after acknowledging its part)."""
    alice, bob = make_user(catalog), make_user(catalog)
    senders = [(alice, b"AAAA"), (bob, b"BBBB")]
    targets = [
        uploads.authorize(
            catalog,
            account.actor(catalog),
            uploads.UploadTarget(make_dataset(catalog, account).dataset.id),
        )
        for account, _ in senders
    ]
    for attempt in range(8):
        session = f"5b1f4c1e-8d1e-4a55-9b0e-2f8d7c9a6e{attempt:02d}"
        barrier = threading.Barrier(2)
        outcomes: list[object] = [None, None]

        def send(which: int, session: str, barrier: threading.Barrier, outcomes: list[object]) -> None:
            account, content = senders[which]
            chunk = _chunk(catalog, session, 0, content)
            barrier.wait()
            try:
                uploads.run(catalog, account.actor(catalog), targets[which], chunk)
                outcomes[which] = "sent"
            except UploadRefused as refused:
                outcomes[which] = refused.problem
            except Exception as error:  # what the test is about: no other failure
                outcomes[which] = error

        threads = [
            threading.Thread(target=send, args=(which, session, barrier, outcomes)) for which in (0, 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(map(str, outcomes)) == sorted(["sent", str(UploadProblem.FOREIGN_SESSION)]), outcomes
        winner = outcomes.index("sent")
        with catalog.files.open(uploads.part_key(session, 0)) as part:
            assert part.read() == senders[winner][1]  # the part acknowledged is the one kept
        status = upload_sessions.upload_status(catalog, senders[winner][0].actor(catalog), session)
        assert status is not None
        with pytest.raises(NotFound):
            upload_sessions.upload_status(catalog, senders[1 - winner][0].actor(catalog), session)


def test_a_file_stored_by_a_process_killed_before_its_commit_is_swept(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """A node killed between storing an upload's file and committing its resource left the file
    in the store for good, unreferenced (and downloadable from a public bucket). The upload's
    reservation outlives it: past the retention the sweep deletes a file nothing holds."""
    from dataclasses import replace as replaced

    from opencat.db import pending_files as db_pending

    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    kept = uploads.run(
        catalog, actor, destination, uploads.SimpleUpload(_spooled(catalog, b"a\n"), "kept.csv")
    )
    assert kept.resource is not None
    assert kept.resource.fs_filename is not None
    orphan = "killed-upload/20261206-120000/orphan.csv"  # as the killed process left it
    spooled = _spooled(catalog, b"b\n")
    with catalog.db.write() as conn:
        assert db_pending.reserve(conn, orphan, catalog.clock())
        assert not db_pending.reserve(conn, orphan, catalog.clock())  # one upload holds a key
        db_pending.reserve(conn, kept.resource.fs_filename, catalog.clock())  # a reservation left held
    catalog.files.put(orphan, spooled.path, "text/csv")

    assert upload_sessions.sweep_pending_files(catalog) == 0  # within the retention: an upload may be running
    assert catalog.files.exists(orphan)
    later = replaced(catalog, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    assert upload_sessions.purge_expired_uploads(later) == 0  # no session expired; the sweep runs with it

    assert not catalog.files.exists(orphan)
    assert catalog.files.exists(kept.resource.fs_filename)  # a resource holds it: kept
    with catalog.db.read() as conn:
        assert db_pending.older_than(conn, later.clock(), 10) == []


class _StoreFailingAfterPut:
    """The real store, whose ``put`` stores the file then fails (a connection cut after the bytes
    landed): the upload must take the file and its reservation back."""

    def __init__(self, store: FileStore) -> None:
        self._store = store
        self.keys: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def put(self, key: str, path: Any, content_type: str) -> None:
        self._store.put(key, path, content_type)
        self.keys.append(key)
        raise OSError("connection reset after the upload")


def test_a_failed_upload_leaves_no_file_and_no_reservation(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    from opencat.db import pending_files as db_pending

    failing = _StoreFailingAfterPut(catalog.files)
    broken = replace(catalog, files=failing)  # type: ignore[arg-type]
    actor = owner.actor(broken)
    destination = uploads.authorize(broken, actor, uploads.UploadTarget(dataset_id))
    with pytest.raises(OSError, match="connection reset"):
        uploads.run(broken, actor, destination, uploads.SimpleUpload(_spooled(catalog, b"a\n"), "a.csv"))
    assert len(failing.keys) == 1
    assert not catalog.files.exists(failing.keys[0])
    with catalog.db.read() as conn:
        assert db_pending.older_than(conn, catalog.clock() + catalog.upload_retention, 10) == []


class _StoreSweptDuringPut:
    """The real store, whose ``put`` lasts past the retention: the sweep runs meanwhile."""

    def __init__(self, store: FileStore, sweep: Any) -> None:
        self._store = store
        self._sweep = sweep

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def put(self, key: str, path: Any, content_type: str) -> None:
        self._store.put(key, path, content_type)
        self._sweep()


def test_an_upload_whose_reservation_was_swept_fails_instead_of_pointing_at_nothing(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """A put longer than the retention (a large file, a slow link): the sweep deleted its file,
    then the upload committed a resource pointing at a missing object."""
    from opencat.domain.errors import Unavailable

    later = replace(catalog, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    slow = replace(
        catalog, files=_StoreSweptDuringPut(catalog.files, lambda: upload_sessions.sweep_pending_files(later))
    )  # type: ignore[arg-type]
    actor = owner.actor(slow)
    destination = uploads.authorize(slow, actor, uploads.UploadTarget(dataset_id))
    with pytest.raises(Unavailable):
        uploads.run(slow, actor, destination, uploads.SimpleUpload(_spooled(catalog, b"a\n"), "slow.csv"))
    with catalog.db.read() as conn:
        assert db_resources.fetch_for_dataset(conn, dataset_id) == []


class _StoreThatCannotDelete(_StoreFailingAfterPut):
    """Stores then fails, and cannot delete either (the store down a moment)."""

    def delete(self, key: str) -> None:
        raise OSError("the store is down")


class _DyingStore:
    """The real store, whose process dies just after a part is put (before its commit)."""

    def __init__(self, store: FileStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def put(self, key: str, path: Any, content_type: str) -> None:
        self._store.put(key, path, content_type)
        raise KeyboardInterrupt  # the process dies between the put and the part's commit


def test_a_part_whose_process_died_after_its_put_is_swept(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """A first part's file put, its process killed before its commit: no session row named it,
    and it stayed in the store for good. Its key's reservation, committed before, now outlives
    it, and the sweep takes it past the retention; a part its session has received stays for the
    session (a sending of it again killed the same way)."""
    from opencat.db import pending_files as db_pending

    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    uploads.run(catalog, actor, destination, _chunk(catalog, SESSION, 1, b"b\n"))  # received
    dying = replace(catalog, files=_DyingStore(catalog.files))  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        uploads.run(dying, actor, destination, _chunk(catalog, SESSION, 0, b"a,"))
    with pytest.raises(KeyboardInterrupt):
        uploads.run(dying, actor, destination, _chunk(catalog, SESSION, 1, b"b\n"))
    orphan, received = upload_sessions.part_key(SESSION, 0), upload_sessions.part_key(SESSION, 1)
    assert catalog.files.exists(orphan)
    assert upload_sessions.upload_status(catalog, actor, SESSION).received == {1: 2}
    with catalog.db.read() as conn:
        assert sorted(db_pending.older_than(conn, catalog.clock() + timedelta(seconds=1), 10)) == [
            orphan,
            received,
        ]

    later = replace(catalog, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    assert upload_sessions.sweep_pending_files(later) == 1
    assert not catalog.files.exists(orphan)
    assert catalog.files.exists(received)  # its session still names it (and purges it when it expires)
    assert upload_sessions.upload_status(catalog, actor, SESSION).received == {1: 2}


class _TimingOutStore(_DyingStore):
    """The real store, which stores the part but whose answer never comes (a timeout)."""

    def put(self, key: str, path: Any, content_type: str) -> None:
        self._store.put(key, path, content_type)
        raise Unavailable(Reason.FILE_STORE_UNAVAILABLE)


def test_a_first_part_whose_put_timed_out_is_swept(catalog: Catalog, owner: Account, dataset_id: str) -> None:
    """The store timed out on a first part it had stored: the 503 released the reservation, the
    rollback took the session, and the part stayed in the store for good (S3 behind a slow proxy)."""
    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    slow = replace(catalog, files=_TimingOutStore(catalog.files))  # type: ignore[arg-type]
    with pytest.raises(Unavailable):
        uploads.run(slow, actor, destination, _chunk(catalog, SESSION, 0, b"a,"))
    orphan = upload_sessions.part_key(SESSION, 0)
    assert catalog.files.exists(orphan)
    later = replace(catalog, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    assert upload_sessions.sweep_pending_files(later) == 1
    assert not catalog.files.exists(orphan)


def test_a_refused_part_leaves_no_reservation(catalog: Catalog, owner: Account, dataset_id: str) -> None:
    from opencat.db import pending_files as db_pending

    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    uploads.run(catalog, actor, destination, _chunk(catalog, SESSION, 0, b"a,"))
    stranger = make_user(catalog)
    elsewhere = make_dataset(catalog, stranger).dataset.id
    theirs = uploads.authorize(catalog, stranger.actor(catalog), uploads.UploadTarget(elsewhere))
    with pytest.raises(UploadRefused):  # the uuid is another's upload
        uploads.run(catalog, stranger.actor(catalog), theirs, _chunk(catalog, SESSION, 1, b"x"))
    with catalog.db.read() as conn:
        assert db_pending.older_than(conn, catalog.clock() + timedelta(seconds=1), 10) == []


def test_a_file_that_could_not_be_deleted_keeps_its_reservation_for_the_sweep(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """The reservation was released whether or not the file went: a file left by a store down a
    moment had nothing left to sweep it."""
    from opencat.db import pending_files as db_pending

    failing = _StoreThatCannotDelete(catalog.files)
    broken = replace(catalog, files=failing)  # type: ignore[arg-type]
    actor = owner.actor(broken)
    destination = uploads.authorize(broken, actor, uploads.UploadTarget(dataset_id))
    with pytest.raises(OSError, match="connection reset"):
        uploads.run(broken, actor, destination, uploads.SimpleUpload(_spooled(catalog, b"a\n"), "a.csv"))
    [key] = failing.keys
    assert catalog.files.exists(key)
    later = replace(catalog, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    with catalog.db.read() as conn:
        assert db_pending.older_than(conn, later.clock(), 10) == [key]
    assert upload_sessions.sweep_pending_files(later) == 1
    assert not catalog.files.exists(key)


def test_a_boundary_longer_than_rfc_2046_allows_is_refused(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    """python-multipart raises on a boundary past 256 characters, outside the reading it guards (a 500)."""
    for length in (71, 257):
        boundary = "B" * length
        headers = {**owner.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        response = client.post(
            f"/api/1/datasets/{dataset_id}/upload/", content=f"--{boundary}--", headers=headers
        )
        assert response.status_code == 400, length
        assert response.json()["success"] is False


@pytest.mark.parametrize(
    "disposition",
    [
        b"form-data; name=\"file\"; filename*=undefined''a.csv",
        b"form-data; name=\"file\"; filename*=idna''xn--.csv",
        b'form-data; name="file"; filename="a.csv"; filename*=punycode\'\'x.csv',
    ],
)
def test_an_extended_file_name_in_another_charset_is_no_error(
    client: TestClient, owner: Account, dataset_id: str, disposition: bytes
) -> None:
    """RFC 5987 asks for UTF-8 and ISO-8859-1; another charset names no file (a codec's own
    error was a 500)."""
    body = b"--b\r\nContent-Disposition: " + disposition + b"\r\n\r\na,b\n\r\n--b--\r\n"
    headers = {**owner.headers, "Content-Type": "multipart/form-data; boundary=b"}
    response = client.post(f"/api/1/datasets/{dataset_id}/upload/", content=body, headers=headers)
    assert response.status_code in (201, 400), response.text


def test_nul_in_a_file_name_or_a_field_is_refused(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    """PostgreSQL refuses NUL in a text mid-query: a chunked upload's name was a 500."""
    url = f"/api/1/datasets/{dataset_id}/upload/"
    named = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%00b.csv\r\n\r\nx\r\n--b--\r\n"
    headers = {**owner.headers, "Content-Type": "multipart/form-data; boundary=b"}
    answer = client.post(url, content=named, headers=headers)
    assert (answer.status_code, answer.json()) == (
        400,
        {"success": False, "error": "filename may not contain NUL characters"},
    )
    chunked = {"uuid": SESSION, "totalparts": 2, "partindex": 0, "chunksize": 1, "filename": "a\x00b.csv"}
    answer = _post(client, url, owner, b"x", **chunked)
    assert (answer.status_code, answer.json()["success"]) == (400, False)
    final = client.post(
        url, data={"uuid": SESSION, "totalparts": "2", "filename": "a\x00.csv"}, headers=owner.headers
    )
    assert final.status_code == 400


class _StoreThatKeepsWhatItDeletes:
    """The real store, whose deletions fail: what a process killed right after the commit leaves
    (the file no row names any more), as a store down a moment leaves it."""

    def __init__(self, store: FileStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def delete(self, key: str) -> None:
        raise OSError("the store is down")


def _swept_later(catalog: Catalog) -> int:
    later = replace(catalog, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    return upload_sessions.sweep_pending_files(later)


def test_a_deleted_resources_file_left_behind_is_swept(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """A resource deleted by a process killed right after its commit left its file for good
    (not reserved, so no sweep ever looked at it)."""
    from opencat.catalog import resources

    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    made = uploads.run(
        catalog, actor, destination, uploads.SimpleUpload(_spooled(catalog, b"a\n"), "gone.csv")
    )
    assert made.resource is not None
    key = made.resource.fs_filename
    assert key is not None
    keeping = replace(catalog, files=_StoreThatKeepsWhatItDeletes(catalog.files))  # type: ignore[arg-type]
    resources.delete_resource(keeping, owner.actor(keeping), dataset_id, made.resource.id)
    assert catalog.files.exists(key)
    assert _swept_later(catalog) == 1
    assert not catalog.files.exists(key)


def test_a_finished_uploads_parts_left_behind_are_swept(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """The final call's process killed after its commit left the parts under ``.uploads/`` for
    good: their session was gone, and the purge only looks at sessions."""
    keeping = replace(catalog, files=_StoreThatKeepsWhatItDeletes(catalog.files))  # type: ignore[arg-type]
    actor = owner.actor(keeping)
    destination = uploads.authorize(keeping, actor, uploads.UploadTarget(dataset_id))
    for index, content in enumerate((b"a,", b"b\n")):
        uploads.run(keeping, actor, destination, _chunk(catalog, SESSION, index, content))
    outcome = uploads.run(keeping, actor, destination, uploads.FinalCall(SESSION, 2, "whole.csv"))
    assert outcome.resource is not None
    parts = [uploads.part_key(SESSION, index) for index in (0, 1)]
    assert all(catalog.files.exists(part) for part in parts)
    assert _swept_later(catalog) == 2
    assert not any(catalog.files.exists(part) for part in parts)
    assert catalog.files.exists(outcome.resource.fs_filename or "")  # the file itself is held


def test_an_expired_uploads_parts_left_behind_are_swept(
    catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    keeping = replace(catalog, files=_StoreThatKeepsWhatItDeletes(catalog.files))  # type: ignore[arg-type]
    actor = owner.actor(keeping)
    destination = uploads.authorize(keeping, actor, uploads.UploadTarget(dataset_id))
    uploads.run(keeping, actor, destination, _chunk(catalog, SESSION, 0, b"a,"))
    later = replace(keeping, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    assert upload_sessions.purge_expired_uploads(later) == 1  # its session forgotten, the part kept
    assert catalog.files.exists(uploads.part_key(SESSION, 0))
    assert _swept_later(catalog) == 2  # the count's parts: 0, and 1 that never came
    assert not catalog.files.exists(uploads.part_key(SESSION, 0))


def test_a_spool_folder_removed_is_made_again_and_an_unwritable_one_is_a_503(
    client: TestClient, catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """Both were 500s with a traceback, and uploads failed until the workers restarted."""
    import shutil

    from tests.faults import immutable

    url = f"/api/1/datasets/{dataset_id}/upload/"
    shutil.rmtree(catalog.files.spool_dir)  # an operator's cleanup, under the running server
    made = client.post(url, files={"file": ("a.csv", b"a\n")}, headers=owner.headers)
    assert made.status_code == 201, made.text
    with immutable(catalog.files.spool_dir):
        refused = client.post(url, files={"file": ("b.csv", b"b\n")}, headers=owner.headers)
        assert (refused.status_code, refused.json()) == (
            503,
            {"message": "The file store is unavailable, please retry later"},
        )
        assert client.get("/readyz").json()["checks"]["files"]["status"] != "ok"
    again = client.post(url, files={"file": ("b.csv", b"b\n")}, headers=owner.headers)
    assert again.status_code == 201, again.text
    # The store's own folder refusing writes, the spool's still writable (a chown without -R):
    # uploads fail, and the probe says so (it wrote only into the spool).
    fresh = make_dataset(catalog, owner, title="Nouveau jeu").dataset.id  # its folder is new
    with immutable(catalog.files.root):
        refused = client.post(
            f"/api/1/datasets/{fresh}/upload/", files={"file": ("c.csv", b"c\n")}, headers=owner.headers
        )
        assert refused.status_code == 503, refused.text
        assert client.get("/readyz").json()["checks"]["files"]["status"] != "ok"
    assert client.get("/readyz").json()["checks"]["files"]["status"] == "ok"


def test_a_file_removed_while_a_backup_copies_the_store_stays_for_the_sweep(
    client: TestClient, catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """A backup's database snapshot named the file of a resource deleted while its copy of the
    files ran: the restored resource had no file (14 of 3,224 under a review's load)."""
    from opencat.files.local import holding_removals

    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    made = uploads.run(
        catalog, actor, destination, uploads.SimpleUpload(_spooled(catalog, b"a\n"), "kept.csv")
    )
    assert made.resource is not None
    key = made.resource.fs_filename
    assert key is not None
    root = catalog.files.root  # type: ignore[attr-defined]
    with holding_removals(root):
        deleted = client.delete(
            f"/api/1/datasets/{dataset_id}/resources/{made.resource.id}/", headers=owner.headers
        )
        assert deleted.status_code == 204
        assert catalog.files.exists(key)  # kept while the backup copies
    later = replace(catalog, clock=lambda: catalog.clock() + 2 * catalog.upload_retention)
    assert upload_sessions.sweep_pending_files(later) == 1
    assert not catalog.files.exists(key)
    # Without a backup, a removal is at once, as before.
    again = uploads.run(
        catalog,
        actor,
        uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id)),
        uploads.SimpleUpload(_spooled(catalog, b"b\n"), "gone.csv"),
    )
    assert again.resource is not None
    assert (
        client.delete(
            f"/api/1/datasets/{dataset_id}/resources/{again.resource.id}/", headers=owner.headers
        ).status_code
        == 204
    )
    assert not catalog.files.exists(again.resource.fs_filename or "")
