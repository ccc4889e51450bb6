"""Uploading from a real browser (Debian's chromium through Playwright) against ``opencat serve``:
a publisher creates a dataset and uploads a 200 MB file in parts, sees the progress advance, pauses
and resumes, loses the connection (the test aborts the requests) and the upload goes on, reloads the
page mid-upload and resumes with the parts the server holds; the file is then served through its
permalink with its size and SHA-1. axe-core on the files page, in both languages."""

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.system import axe
from tests.system.conftest import Deployment
from tests.system.test_publish_browser import _person, _signed_in

SIZE = 200 * 1000 * 1000
PART = 8 * 1024 * 1024
PARTS = -(-SIZE // PART)
UPLOADS = "**/resources/upload/"


@pytest.fixture(scope="module")
def publisher(deployment: Deployment) -> str:
    return _person(deployment)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """200 MB that no compression or deduplication could shortcut, and its SHA-1."""
    path = tmp_path_factory.mktemp("upload") / "comptages-2024.csv"
    digest = hashlib.sha1()
    with path.open("wb") as out:
        for _ in range(SIZE // 10_000_000):
            block = os.urandom(10_000_000)
            digest.update(block)
            out.write(block)
    yield path, digest.hexdigest()
    path.unlink()


def _new_dataset(page: Any, deployment: Deployment, title: str) -> str:
    page.goto(f"{deployment.url}/datasets/new/?lang=en")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Counted every hour.")
    page.get_by_role("button", name="Create the dataset").click()
    page.wait_for_url("**/datasets/*/")
    return str(page.url)


def _progress(page: Any) -> float:
    return float(page.locator("#u-bar").evaluate("bar => bar.value / bar.max"))


def _past(page: Any, share: float) -> None:
    page.wait_for_function(
        "share => { const bar = document.getElementById('u-bar'); return bar.value / bar.max > share; }",
        arg=share,
        timeout=120_000,
    )


def test_a_200_mb_upload_survives_a_pause_a_lost_connection_and_a_reload(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    big_file: tuple[Path, str],
) -> None:
    path, sha1 = big_file
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    dataset_url = _new_dataset(page, deployment, f"Comptages {uuid.uuid4().hex[:6]}")
    page.get_by_role("link", name="Manage the files").click()
    page.wait_for_url("**/resources/")
    missing: list[str] = []
    page.on("response", lambda answer: missing.append(answer.url) if answer.status == 404 else None)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload the file").click()
    progress = page.get_by_role("progressbar")
    assert progress.is_visible()
    assert page.evaluate("document.activeElement.id") == "u-pause"  # the pressed button's place
    seen = [_progress(page)]

    # Pause: nothing moves until it resumes.
    _past(page, 0.1)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("status").filter(has_text="Paused").wait_for()
    assert page.evaluate("document.activeElement.id") == "u-resume"
    held = _progress(page)
    time.sleep(1)
    assert _progress(page) == held
    seen.append(held)
    page.get_by_role("button", name="Resume").click()

    # The connection is lost: every upload request fails for two seconds; then it goes on.
    _past(page, 0.3)
    page.route(UPLOADS, lambda route: route.abort("internetdisconnected"))
    page.get_by_role("status").filter(has_text="Connection lost").wait_for(timeout=60_000)
    cut_at = _progress(page)
    time.sleep(2)
    page.unroute(UPLOADS)
    _past(page, cut_at + 0.05)
    seen.append(_progress(page))

    # A reload mid-upload: choosing the same file again sends only the parts the server lacks.
    _past(page, 0.55)
    page.reload()
    pending = page.locator("#u-pending")
    assert "comptages-2024.csv" in pending.inner_text()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload the file").click()
    page.wait_for_url("**/resources/#resource-*", timeout=300_000)
    page.locator("#u-list li.resource").wait_for()  # the page loaded again, with the file
    page.wait_for_load_state()
    # The parts the server had not stored when the page reloaded past 55 % (the one being sent and
    # one whose answer had not come back yet may be among them), and the final call.
    assert 1 <= len(sent) <= PARTS - int(PARTS * 0.55) + 2
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)  # it advanced between each step
    assert missing == []  # a new upload asked nothing of the server it could not know (a 404 logged)

    # The file: listed with its checksum, served through its permalink, byte for byte.
    resource_id = page.url.rsplit("#resource-", 1)[1]
    assert sha1 in page.locator(f"#resource-{resource_id}").inner_text()
    with httpx2.Client(base_url=deployment.url, timeout=120, follow_redirects=True) as http:
        digest = hashlib.sha1()
        size = 0
        with http.stream("GET", f"/api/1/datasets/r/{resource_id}") as answer:
            assert answer.status_code == 200
            for block in answer.iter_bytes():
                digest.update(block)
                size += len(block)
    assert (size, digest.hexdigest()) == (SIZE, sha1)
    page.goto(dataset_url + "?lang=en")
    assert page.locator(f"#resource-{resource_id}").is_visible()
    page.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_files_page(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    language: str,
    tmp_path: Path,
) -> None:
    page = _signed_in(browser, deployment, publisher, bypass_csp=True)  # axe is injected as a script
    dataset_url = _new_dataset(page, deployment, f"Axe files {uuid.uuid4().hex[:6]}")
    page.goto(f"{dataset_url}resources/?lang={language}")
    found = {"empty": axe.violations(page)}
    small = tmp_path / "small.csv"
    small.write_text("a;b\n1;2\n")
    page.locator("#u-file").set_input_files(str(small))
    page.locator("#u-start").click()
    page.locator("#u-list li.resource").wait_for()  # the page loaded again, with the file
    page.wait_for_load_state()
    found["with a file"] = axe.violations(page)
    page.locator("#u-list a[href$='/edit/']").first.click()
    page.wait_for_url("**/edit/")
    found["edit a file, with its replacement"] = axe.violations(page)
    page.context.close()
    assert {name: violations for name, violations in found.items() if violations} == {}


@pytest.mark.skipif(
    not os.environ.get("OPENCAT_SCREENSHOTS"), reason="set OPENCAT_SCREENSHOTS=DIR to save them"
)
def test_screenshots_of_the_upload_form(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    big_file: tuple[Path, str],
) -> None:
    target = Path(os.environ["OPENCAT_SCREENSHOTS"])
    target.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page = _signed_in(
            browser, deployment, publisher, viewport={"width": width, "height": 900}, locale="fr-FR"
        )
        dataset_url = _new_dataset(page, deployment, f"Comptages vélo {width}")
        page.goto(f"{dataset_url}resources/?lang=fr")
        page.locator("#u-file").set_input_files(str(big_file[0]))
        page.locator("#u-start").click()
        _past(page, 0.35)
        page.locator("#u-pause").click()
        page.locator("#u-resume").wait_for()
        page.screenshot(path=str(target / f"upload-form-{width}.png"), full_page=True)
        page.locator("#u-resume").click()
        page.locator("#u-list li.resource").wait_for(timeout=120_000)
        page.wait_for_load_state()
        page.goto(f"{dataset_url}resources/new/?lang=fr")
        page.locator("#r-title").fill("Documentation des capteurs")
        page.locator("#r-url").fill("https://example.org/capteurs.pdf")
        page.locator("#r-type").select_option("documentation")
        page.locator("form.account-form button").click()
        page.wait_for_url("**/datasets/*/#resource-*")
        page.goto(f"{dataset_url}resources/?lang=fr")
        page.screenshot(path=str(target / f"files-{width}.png"), full_page=True)
        page.locator("#u-list a[href$='/edit/']").last.click()
        page.wait_for_url("**/edit/")
        page.screenshot(path=str(target / f"file-edit-{width}.png"), full_page=True)
        page.context.close()


def test_replace_an_uploaded_file_from_its_edit_page(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    tmp_path: Path,
) -> None:
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    dataset_url = _new_dataset(page, deployment, f"Replace {uuid.uuid4().hex[:6]}")
    first = tmp_path / "first.csv"
    first.write_bytes(b"a;b\n1;2\n")
    page.goto(f"{dataset_url}resources/?lang=en")
    page.locator("#u-file").set_input_files(str(first))
    page.locator("#u-start").click()
    page.locator("#u-list li.resource").wait_for()
    page.wait_for_load_state()
    resource_id = str(page.locator("#u-list li.resource").first.get_attribute("data-id"))
    page.get_by_role("link", name="Edit first.csv").click()
    page.wait_for_url("**/edit/")
    second = tmp_path / "second.csv"
    content = os.urandom(20 * 1000 * 1000)  # three parts
    second.write_bytes(content)
    page.get_by_label("File", exact=True).set_input_files(str(second))
    page.get_by_role("button", name="Upload the new file").click()
    page.wait_for_url("**/resources/#resource-*", timeout=120_000)
    page.locator(f"#resource-{resource_id}").wait_for()
    page.wait_for_load_state()
    assert hashlib.sha1(content).hexdigest() in page.locator(f"#resource-{resource_id}").inner_text()
    with httpx2.Client(base_url=deployment.url, timeout=60, follow_redirects=True) as http:
        answer = http.get(f"/api/1/datasets/r/{resource_id}")
    assert answer.status_code == 200
    assert answer.content == content  # the same permanent link, the new file
    page.context.close()


def test_a_final_call_whose_answer_is_lost_still_ends_on_the_file(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    tmp_path: Path,
) -> None:
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    dataset_url = _new_dataset(page, deployment, f"Lost answer {uuid.uuid4().hex[:6]}")
    two_parts = tmp_path / "two-parts.csv"
    content = os.urandom(PART + 1000)
    two_parts.write_bytes(content)
    lost: list[str] = []

    def lose_the_final_answer(route: Any) -> None:
        body = route.request.post_data_buffer
        final = body is not None and b'name="file"' not in body and b'name="uuid"' in body
        if final and not lost:
            lost.append(route.request.url)
            route.fetch()  # the server gets it and publishes the file...
            route.abort("connectionreset")  # ...but its answer never reaches the page
        else:
            route.continue_()

    page.goto(f"{dataset_url}resources/?lang=en")
    page.route(UPLOADS, lose_the_final_answer)
    page.locator("#u-file").set_input_files(str(two_parts))
    page.locator("#u-start").click()
    page.locator("#u-list li.resource").wait_for(timeout=60_000)
    page.wait_for_load_state()
    assert len(lost) == 1
    assert hashlib.sha1(content).hexdigest() in page.locator("#u-list li.resource").inner_text()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('opencat-upload:'))") == []
    page.context.close()


def test_a_pause_while_the_final_call_publishes_does_not_upload_the_file_twice(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    tmp_path: Path,
) -> None:
    """Pausing aborts the call in flight: when that call was the final one, the server had
    published the file already, and resuming sent every part and the final call again (a review
    found two identical files). Resuming now finds the upload ended and opens the files page."""
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    dataset_url = _new_dataset(page, deployment, f"Paused final {uuid.uuid4().hex[:6]}")
    dataset_id = dataset_url.rstrip("/").rsplit("/", 1)[-1]
    two_parts = tmp_path / "two-parts.csv"
    two_parts.write_bytes(os.urandom(PART + 1000))
    held: list[Any] = []

    def hold_the_published_final_answer(route: Any) -> None:
        body = route.request.post_data_buffer
        final = body is not None and b'name="file"' not in body and b'name="uuid"' in body
        if final and not held:
            route.fetch()  # the server gets it and publishes the file; the page waits on
            held.append(route)
        else:
            route.continue_()

    def files() -> list[str]:
        answer = httpx2.get(f"{deployment.url}/api/1/datasets/{dataset_id}/", timeout=30)
        return [resource["title"] for resource in answer.json()["resources"]]

    page.goto(f"{dataset_url}resources/?lang=en")
    page.route(UPLOADS, hold_the_published_final_answer)
    page.locator("#u-file").set_input_files(str(two_parts))
    page.locator("#u-start").click()
    deadline = time.monotonic() + 60
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the final call never went out"
    page.locator("#u-pause").click()
    page.locator("#u-resume").wait_for()
    held[0].abort("aborted")
    assert files() == ["two-parts.csv"]
    page.locator("#u-resume").click()
    page.locator("#u-list li.resource").wait_for(timeout=60_000)
    page.wait_for_load_state()
    assert files() == ["two-parts.csv"]
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('opencat-upload:'))") == []
    page.context.close()


def test_an_interrupted_upload_can_be_forgotten_and_one_the_server_forgot_goes(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    tmp_path: Path,
) -> None:
    """The notice of an interrupted upload stayed until the same file was sent again, even once
    the server had dropped its parts: a button forgets it, and an upload the server no longer
    knows is forgotten when the page opens."""
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    dataset_url = _new_dataset(page, deployment, f"Forgotten {uuid.uuid4().hex[:6]}")
    files = f"{dataset_url}resources/?lang=en"
    two_parts = tmp_path / "two-parts.csv"
    two_parts.write_bytes(os.urandom(PART + 1000))
    held: list[bool] = []

    def hold_the_second_part(route: Any) -> None:
        body = route.request.post_data_buffer or b""
        if b'name="partindex"\r\n\r\n1' in body:
            held.append(True)
            route.abort("connectionreset")  # the page retries: the connection seems lost
        else:
            route.continue_()

    page.goto(files)
    page.route(UPLOADS, hold_the_second_part)
    page.locator("#u-file").set_input_files(str(two_parts))
    page.locator("#u-start").click()
    page.wait_for_function("() => document.getElementById('u-pause').hidden === false")
    page.get_by_role("status").filter(has_text="Connection lost").wait_for(timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    page.unroute(UPLOADS)
    page.goto(files)
    pending = page.locator("#u-pending")
    assert pending.is_visible()
    assert "two-parts.csv" in pending.inner_text()
    page.get_by_role("button", name="Forget this upload").click()
    assert pending.is_hidden()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('opencat-upload:'))") == []
    page.goto(files)
    assert pending.is_hidden()

    # An upload the server does not know (its parts expired): its notice goes by itself.
    key = page.evaluate("'opencat-upload:' + document.getElementById('upload-form').action")
    page.evaluate(
        "key => localStorage.setItem(key, JSON.stringify({uuid: crypto.randomUUID(), name: 'old.csv', size: 9,"
        " modified: 1, chunk: 8388608, total: 2, partsSent: true}))",
        key,
    )
    page.goto(files)
    page.wait_for_function("() => document.getElementById('u-pending').hidden === true")
    assert page.evaluate("key => localStorage.getItem(key)", key) is None
    assert held  # the second part was held back while the first was kept
    page.context.close()


def test_a_refused_file_neither_looks_finished_nor_offers_to_resume(
    browser: Any, deployment: Deployment, publisher: str, tmp_path: Path
) -> None:
    """``evil.exe`` showed a full bar, "100 % · 0.0 of 0.0 MB" and a Resume button that did
    nothing, beside the refusal."""
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    dataset_url = _new_dataset(page, deployment, f"Refused {uuid.uuid4().hex[:6]}")
    evil = tmp_path / "evil.exe"
    evil.write_bytes(b"MZ not a dataset")
    page.goto(f"{dataset_url}resources/?lang=en")
    page.locator("#u-file").set_input_files(str(evil))
    page.locator("#u-start").click()
    page.wait_for_function("() => !document.getElementById('u-start').disabled")
    page.wait_for_function("() => document.getElementById('u-status').textContent.length > 0")
    assert "not accepted" in page.locator("#u-status").inner_text()
    assert page.locator("#u-progress").is_hidden()
    assert page.locator("#u-resume").is_hidden()
    page.context.close()
