"""The harvester's HTTP GET: the link checker's guarded hops (no private address unless allowed, one
deadline per request, a cap on the body, every redirect's target checked again), polite (a minimum
delay between two requests to one source) and conditional (``If-None-Match``/``If-Modified-Since``
from the validators a previous run kept; a 304 comes back as such, with no body)."""

import http.client
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from opencat.domain.harvest import FetchedPage, HarvestSourceError, RemoteMissing, SourceUnchanged
from opencat.domain.numerals import is_digits
from opencat.domain.urls import comparable
from opencat.links.addresses import Address, Connect, Resolve, connect_tcp, resolve_host
from opencat.links.hops import (
    REDIRECTS,
    LinkPolicy,
    PinnedConnection,
    Run,
    Target,
    checked_addresses,
    describe_failure,
    next_url,
    parse_target,
    request_headers,
)

_READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class HarvestPolicy:
    timeout: float = 60.0  # seconds for one request, its redirects included
    max_bytes: int = 256 * 1024 * 1024  # a body past this fails the source (a dump is one body)
    max_redirects: int = 5
    allow_private: bool = False
    delay: float = 0.0  # least seconds between the starts of two requests to the source
    user_agent: str = "opencat-harvester/1"
    # This catalog's own API (``domain.urls.comparable`` of ``{base_url}/api/``): a source that
    # leads there (its URL, or a redirect) harvests the catalog into itself, a copy of each of its
    # datasets a run, which its loop guards cannot tell from a remote that grows.
    own_api: str | None = None

    def __post_init__(self) -> None:
        if not self.timeout > 0 or self.max_bytes <= 0 or self.max_redirects < 0 or self.delay < 0:
            raise ValueError(f"invalid harvest policy: {self!r}")


@dataclass(frozen=True)
class Validators:
    """What a server said identifies the version it sent: sent back, it may answer 304."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class _Redirect:
    location: str


class GuardedFetcher:
    """One source's fetcher (the ``Fetcher`` protocol). Requests are serialised: the delay holds
    between any two, whichever thread asks. ``validators`` maps a URL to what to send back; the
    fetcher records there what each 200 answer carried, and lists in ``not_modified`` the URLs that
    answered 304, so the run knows which parts of the source it did not see again."""

    def __init__(
        self,
        policy: HarvestPolicy,
        validators: Mapping[str, Validators] | None = None,
        *,
        resolve: Resolve = resolve_host,
        connect: Connect = connect_tcp,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_requests: int | None = None,
        deadline: float | None = None,
    ) -> None:
        """``max_requests`` and ``deadline`` (on ``clock``) bound the whole reading: a preview's,
        which a signed-in user may ask of any source, and which no job row lets anyone stop."""
        self.max_requests = max_requests
        self.deadline = deadline
        # Set by the run when its lease is lost or its source deleted: no request after that.
        self.cancelled: threading.Event | None = None
        self.policy = policy
        self.validators: dict[str, Validators] = dict(validators or {})
        self.not_modified: list[str] = []
        self.requests = 0
        self.first_url: str | None = None  # the first URL asked for: the source's own
        self._link_policy = LinkPolicy(
            timeout=policy.timeout,
            max_redirects=policy.max_redirects,
            max_bytes=policy.max_bytes,
            allow_private=policy.allow_private,
            user_agent=policy.user_agent,
        )
        self._resolve = resolve
        self._connect = connect
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_start: float | None = None

    def get(self, url: str, *, accept: str = "*/*", conditional: bool = True) -> FetchedPage:
        with self._lock:
            if self.cancelled is not None and self.cancelled.is_set():
                raise HarvestSourceError(
                    "the run stopped: its source was deleted, or another process took it"
                )
            if self.max_requests is not None and self.requests >= self.max_requests:
                raise HarvestSourceError(f"stopped after {self.requests} requests to the source")
            self._wait_turn()
            self.requests += 1
            if self.first_url is None:
                self.first_url = url
            page = self._get(url, accept, conditional)
        if page.status == 304:
            self.not_modified.append(url)
            raise SourceUnchanged(url)
        if page.etag or page.last_modified:
            self.validators[url] = Validators(page.etag, page.last_modified)
        return page

    def _wait_turn(self) -> None:
        wait = 0.0
        if self._last_start is not None:
            wait = max(self._last_start + self.policy.delay - self._clock(), 0.0)
        if self.deadline is not None and self._clock() + wait >= self.deadline:
            raise HarvestSourceError("stopped: the source took longer than the time given to read it")
        if wait > 0:
            self._sleep(wait)
        self._last_start = self._clock()

    def _seconds_left(self) -> float:
        """The time one request may take: the policy's timeout, within the whole deadline."""
        if self.deadline is None:
            return self.policy.timeout
        return max(min(self.policy.timeout, self.deadline - self._clock()), 0.001)

    def _get(self, url: str, accept: str, conditional: bool) -> FetchedPage:
        run = Run(self._link_policy, time.monotonic() + self._seconds_left(), self._resolve, self._connect)
        current, redirects = url, 0
        kept = self.validators.get(url) if conditional else None
        while True:
            if self.policy.own_api is not None and comparable(current).startswith(self.policy.own_api):
                raise HarvestSourceError(
                    f"{current}: this is this catalog's own API: a source is another catalog"
                )
            target = parse_target(current)
            if isinstance(target, str):
                raise HarvestSourceError(f"{current}: {target}")
            addresses = checked_addresses(target, run)
            if isinstance(addresses, str):
                raise HarvestSourceError(f"{current}: {addresses}")
            headers = request_headers(target, self._link_policy)
            headers["Accept"] = accept
            # The ETag kept is the answer's at the end of the redirects (an opencat's
            # ``/site/catalog`` sends to ``catalog.nt``): sent on every hop, a 304 from the target
            # means the bytes kept are its own. A date says nothing of another resource: it goes
            # to the URL asked for only.
            if kept is not None:
                if kept.etag:
                    headers["If-None-Match"] = kept.etag
                if kept.last_modified and current == url:
                    headers["If-Modified-Since"] = kept.last_modified
            answer = self._hop(current, target, addresses, headers, run)
            if isinstance(answer, FetchedPage):
                return answer
            if redirects == self.policy.max_redirects:
                raise HarvestSourceError(f"{url}: too many redirects (more than {self.policy.max_redirects})")
            redirects += 1
            current = next_url(current, answer.location)

    def _hop(
        self, url: str, target: Target, addresses: list[Address], headers: dict[str, str], run: Run
    ) -> FetchedPage | _Redirect:
        connection: PinnedConnection | None = None
        try:
            connection = PinnedConnection(target, addresses, run)
            connection.request("GET", target.path, headers=headers)
            with connection.getresponse() as response:
                location = response.getheader("Location")
                if response.status in REDIRECTS and location:
                    return _Redirect(location)
                if response.status == 304:
                    return FetchedPage(url, 304, None, b"", response.getheader("ETag"))
                if response.status in (404, 410):
                    raise RemoteMissing(f"{url}: HTTP status {response.status}")
                if response.status != 200:
                    raise HarvestSourceError(f"{url}: HTTP status {response.status}")
                encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
                if encoding != "identity":
                    raise HarvestSourceError(f"{url}: content encoding {encoding} is not supported")
                body = self._read(url, response)
                if connection.expired.is_set():
                    raise TimeoutError("deadline reached")  # the watchdog's shutdown reads as end of file
                return FetchedPage(
                    url,
                    200,
                    response.getheader("Content-Type"),
                    body,
                    etag=response.getheader("ETag"),
                    last_modified=response.getheader("Last-Modified"),
                )
        except (OSError, http.client.HTTPException) as error:
            expired = connection is not None and connection.expired.is_set()
            reason = describe_failure(error, expired or time.monotonic() >= run.deadline)
            raise HarvestSourceError(f"{url}: {reason}") from None
        finally:
            if connection is not None:
                connection.release()

    def _read(self, url: str, response: http.client.HTTPResponse) -> bytes:
        declared = response.getheader("Content-Length")
        if declared and is_digits(declared) and int(declared) > self.policy.max_bytes:
            raise HarvestSourceError(
                f"{url}: body of {declared} bytes is over the cap of {self.policy.max_bytes}"
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(_READ_SIZE)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise HarvestSourceError(f"{url}: body over the cap of {self.policy.max_bytes} bytes")
            chunks.append(chunk)
