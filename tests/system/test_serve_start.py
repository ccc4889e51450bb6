"""``opencat serve`` without OPENCAT_BASE_URL: links name the address it serves, and it says
where its data, database, files and URL are as it starts."""

import subprocess

import httpx2

from tests import paths
from tests.ports import free_port
from tests.system.conftest import Launcher
from tests.system.harness import Server, opencat_command


def test_links_follow_the_port_and_the_start_says_where_everything_is(
    launch: Launcher, module_database: str
) -> None:
    env = launch.env("node", module_database)
    del env["OPENCAT_BASE_URL"]
    subprocess.run(
        [*opencat_command(), "load-fixtures", str(paths.UDATA_FIXTURES)],
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = Server(env, port, workers=1)
    launch.servers.append(server)
    page = httpx2.get(f"{server.url}/api/1/datasets/?page_size=1", timeout=30).json()
    assert page["next_page"].startswith(f"http://127.0.0.1:{port}/api/1/datasets/")
    assert page["data"][0]["uri"].startswith(f"http://127.0.0.1:{port}/api/1/datasets/")
    output = server.output()
    data_dir = env["OPENCAT_DATA_DIR"]
    assert f"data directory: {data_dir}\n" in output
    assert "database: " in output
    assert f"file store: {data_dir}/files (local files)\n" in output
    assert (
        f"base URL: http://127.0.0.1:{port} (from --host/--port; set OPENCAT_BASE_URL to choose it)" in output
    )
