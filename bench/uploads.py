"""Upload throughput and server memory: 100 MB and 2 GB files through the real server.

Starts ``opencat serve`` (granian, one worker) on a temporary data directory, uploads a file
with a streaming client (the client never holds the file either), and reports MB/s beside the
disk's own sequential write speed, and the worker's peak RSS growth (VmHWM) during the upload.
Usage: ``python -m bench.uploads [sizes in MB...]`` (default 100 2048).
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> dict[str, str]:
    output = subprocess.run(
        [sys.executable, "-m", "opencat", *args], env=env, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, str] = json.loads(output)
    return result


def _make_file(path: Path, megabytes: int) -> float:
    """Write the test file; the time it takes is the disk's sequential write speed."""
    block = os.urandom(CHUNK)
    start = time.perf_counter()
    with path.open("wb") as handle:
        for _ in range(megabytes):
            handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
    return megabytes / (time.perf_counter() - start)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split(")")[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def _upload(port: int, key: str, dataset_id: str, path: Path) -> dict[str, object]:
    boundary = "opencatbenchboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", f"/api/1/datasets/{dataset_id}/upload/")
    connection.putheader("X-API-KEY", key)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    connection.endheaders()
    connection.send(head)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body: dict[str, object] = json.loads(response.read())
    assert response.status == 201, body
    return body


def run(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("OPENCAT_BENCH_DIR")) as tmp:
        env = {**os.environ, "OPENCAT_DATA_DIR": f"{tmp}/var", "OPENCAT_MAX_UPLOAD_BYTES": str(8 * 1024**3)}
        user = _cli(
            env, "user", "create", "--email", "b@e.org", "--first-name", "B", "--last-name", "E", "--json"
        )
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "opencat", "serve", "--port", str(port)],
            env={**env, "OPENCAT_BASE_URL": f"http://127.0.0.1:{port}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(port)
            worker = _children(server.pid)[0]
            for megabytes in sizes:
                _measure(port, user["api_key"], worker, Path(tmp), megabytes)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _measure(port: int, key: str, worker: int, tmp: Path, megabytes: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"title": f"upload {megabytes}", "description": "bench"})
    connection.request(
        "POST", "/api/1/datasets/", body, {"X-API-KEY": key, "Content-Type": "application/json"}
    )
    dataset_id = json.loads(connection.getresponse().read())["id"]
    source = tmp / f"file-{megabytes}.csv"
    disk = _make_file(source, megabytes)
    before = _kb(worker, "VmRSS:")
    start = time.perf_counter()
    result = _upload(port, key, dataset_id, source)
    elapsed = time.perf_counter() - start
    peak = _kb(worker, "VmHWM:")
    source.unlink()
    assert result["filesize"] == megabytes * CHUNK
    print(
        f"[upload] {megabytes:>5} MB in {elapsed:6.2f} s = {megabytes / elapsed:6.0f} MB/s "
        f"(disk sequential write {disk:5.0f} MB/s); worker RSS {before / 1024:.0f} MB before, "
        f"peak {peak / 1024:.0f} MB (growth {max(0, peak - before) / 1024:.0f} MB)"
    )


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:] if arg.isdigit()] if __name__ == "__main__" else []
    run(sizes or [100, 2048])


if __name__ == "__main__":
    main()
