"""Safe, bounded, streaming download of job logs.

A submitter chooses log URLs, so the fetcher must not become a way to read internal
services: only ``http``/``https`` is allowed, every host is resolved and *all* of its
addresses must be public (not private, loopback, link-local, reserved, multicast...)
unless the host or address is on an allowlist, and the connection is then made to the
checked address (so a second DNS answer cannot swap in an internal one).  Redirects are
followed by hand and checked the same way.

Limits (upstream: 5 MiB ``Content-Length``, 30 s timeout) and the allowlist are
parameters; the application maps them to settings.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from treeherder.logs.decompress import CorruptLogError, LogTooLargeError, iter_decompressed

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Upstream's download limit, measured on the (compressed) body.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: Bound on the decompressed body so a small gzip bomb cannot exhaust memory or time.
DEFAULT_MAX_DECOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
#: Client-error statuses worth retrying (all 5xx are retried too).
RETRYABLE_STATUSES = frozenset({408, 429})

_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class LogFetchError(Exception):
    """Downloading failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool, status_code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code


class UnsafeURLError(LogFetchError):
    """The URL (or a redirect) points at a scheme or address we refuse to fetch."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class FetchOptions:
    """Limits and policy for one download."""

    allowlist: Sequence[str] = ()
    """Host names, IP addresses or CIDR networks that may be private (e.g. a local log server)."""
    max_bytes: int | None = DEFAULT_MAX_BYTES
    """Largest body on the wire (``Content-Length`` and bytes actually received)."""
    max_decompressed_bytes: int | None = DEFAULT_MAX_DECOMPRESSED_BYTES
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for connecting and for each read."""
    total_timeout: float | None = 600.0
    """Seconds for the whole download (a slow drip cannot hold a worker forever)."""
    retries: int = 2
    """Extra attempts after a retryable failure (5xx, connection errors, timeouts)."""
    backoff: float = 1.0
    """First retry delay in seconds; doubles on each further retry."""
    max_redirects: int = 5
    user_agent: str = "treeherder"
    verify: ssl.SSLContext | bool = True
    """TLS verification: True (system CAs), False, or a context trusting e.g. a private CA."""
    _hosts: frozenset[str] = field(init=False, repr=False, compare=False)
    _networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        hosts: set[str] = set()
        networks = []
        for entry in self.allowlist:
            entry = entry.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        object.__setattr__(self, "_hosts", frozenset(hosts))
        object.__setattr__(self, "_networks", tuple(networks))

    def host_allowed(self, host: str) -> bool:
        """Whether *host* (a name) is allowlisted by name."""
        return host.lower().rstrip(".") in self._hosts

    def address_allowed(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """Whether *address* is public, or inside an allowlisted network."""
        if any(address in network for network in self._networks):
            return True
        return is_public_address(address)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses; embedded IPv4 addresses are checked too."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class _Target:
    url: str
    host: str
    connect_urls: tuple[str, ...]  # the URL with each checked IP address in place of the host name
    scheme: str


def resolve_target(url: str, options: FetchOptions) -> _Target:
    """Check *url* and pick the address to connect to; raises :class:`UnsafeURLError`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(f"refusing {scheme or 'relative'!s} URL {url!r}: only http(s) is allowed")
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"refusing URL without a host: {url!r}")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError(f"refusing URL with a bad port: {url!r}") from exc
    by_name = options.host_allowed(host)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise LogFetchError(f"cannot resolve {host!r}: {exc}", retryable=True) from exc
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        if not addresses:
            raise LogFetchError(f"no address for {host!r}", retryable=True)
    if not by_name:
        refused = [a for a in addresses if not options.address_allowed(a)]
        if refused:
            # Refuse when any answer is internal: an attacker controls which one we would get.
            raise UnsafeURLError(f"refusing {host!r}: resolves to non-public address {refused[0]}")
    connect_urls = tuple(
        parts._replace(scheme=scheme, netloc=f"{f'[{a}]' if a.version == 6 else a}:{port}").geturl()
        for a in dict.fromkeys(addresses)  # unique, in resolver order
    )
    return _Target(url=url, host=host, connect_urls=connect_urls, scheme=scheme)


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1]


@dataclass
class _Download:
    """One attempt's open response and its byte accounting."""

    response: httpx.Response
    options: FetchOptions
    started: float

    def iter_raw_checked(self) -> Iterator[bytes]:
        """Body bytes (content-encoding decoded) while enforcing the size and time limits."""
        max_bytes = self.options.max_bytes
        deadline = self.options.total_timeout
        for chunk in self.response.iter_bytes():
            if max_bytes is not None and self.response.num_bytes_downloaded > max_bytes:
                raise LogTooLargeError(max_bytes, "download")
            if deadline is not None and time.monotonic() - self.started > deadline:
                raise LogFetchError(f"download took longer than {deadline} s", retryable=True)
            yield chunk


def _send_to_any_address(client: httpx.Client, target: _Target, url: str, options: FetchOptions) -> httpx.Response:
    """Send the request to the first checked address that accepts a connection (as browsers do)."""
    last_error: httpx.ConnectError | None = None
    for connect_url in target.connect_urls:
        request = client.build_request(
            "GET",
            connect_url,
            headers={"Host": _host_header(url), "User-Agent": options.user_agent},
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError as exc:
            last_error = exc
    assert last_error is not None
    raise last_error


def _open(client: httpx.Client, url: str, options: FetchOptions) -> httpx.Response:
    """Send the request, following redirects by hand with the address check on each hop."""
    for _ in range(options.max_redirects + 1):
        target = resolve_target(url, options)
        response = _send_to_any_address(client, target, url, options)
        if response.is_redirect:
            location = response.headers.get("location")
            response.close()
            if not location:
                raise LogFetchError(f"redirect without Location from {url}", retryable=False)
            url = urljoin(url, location)
            continue
        return response
    raise LogFetchError(f"more than {options.max_redirects} redirects", retryable=False)


@cache
def _default_tls_context() -> ssl.SSLContext:
    """httpx's default verification context, built once: loading the CA bundle costs ~30 ms."""
    return ssl.create_default_context(cafile=certifi.where())


def _attempt(url: str, consume: Callable[[Iterator[bytes]], T], options: FetchOptions) -> T:
    started = time.monotonic()
    timeout = httpx.Timeout(options.timeout)
    try:
        verify = _default_tls_context() if options.verify is True else options.verify
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=verify) as client:
            response = _open(client, url, options)
            try:
                if response.status_code >= 400:
                    # 403/404 (and other client errors) will not change; server errors may.
                    raise LogFetchError(
                        f"HTTP {response.status_code} for {url}",
                        retryable=response.status_code in RETRYABLE_STATUSES or response.status_code >= 500,
                        status_code=response.status_code,
                    )
                length = response.headers.get("content-length")
                if options.max_bytes is not None and length and length.isdigit() and int(length) > options.max_bytes:
                    raise LogTooLargeError(options.max_bytes, "download")
                download = _Download(response, options, started)
                return consume(iter_decompressed(download.iter_raw_checked(), options.max_decompressed_bytes))
            finally:
                response.close()
    except httpx.TimeoutException as exc:
        raise LogFetchError(f"timed out fetching {url}: {exc!r}", retryable=True) from exc
    except httpx.DecodingError as exc:
        # The body does not match its Content-Encoding: fetching it again gives the same bytes.
        raise CorruptLogError(f"cannot decode {url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise LogFetchError(f"error fetching {url}: {exc!r}", retryable=True) from exc


def fetch_log(
    url: str,
    consume: Callable[[Iterator[bytes]], T],
    options: FetchOptions | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Download *url* and return ``consume(blocks)``, where *blocks* is the decompressed body.

    *consume* is called afresh on every attempt, so a retried download never mixes
    partial data.  Raises :class:`LogTooLargeError` (→ ``skipped-size``),
    :class:`UnsafeURLError` and :class:`LogFetchError` (→ ``failed``); a corrupt body
    raises :class:`~treeherder.logs.decompress.CorruptLogError` from *consume*.
    """
    options = options or FetchOptions()
    delay = options.backoff
    for attempt in range(options.retries + 1):
        try:
            return _attempt(url, consume, options)
        except LogFetchError as exc:
            if not exc.retryable or attempt == options.retries:
                raise
            logger.info("retrying %s in %.1f s after: %s", url, delay, exc)
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def fetch_options_from_settings(settings: object) -> FetchOptions:
    """Map the application settings (``LOG_FETCH_*``, ``LOG_MAX_BYTES``, ``SITE_URL``) to options."""
    timeout = float(getattr(settings, "log_fetch_timeout", DEFAULT_TIMEOUT))
    site_host = urlsplit(str(getattr(settings, "site_url", ""))).hostname or "localhost"
    return FetchOptions(
        allowlist=tuple(getattr(settings, "log_fetch_allowlist", ())),
        max_bytes=int(getattr(settings, "log_max_bytes", DEFAULT_MAX_BYTES)),
        timeout=timeout,
        total_timeout=timeout,
        user_agent=f"treeherder/{site_host}",
    )
