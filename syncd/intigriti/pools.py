"""A connection pool per thread, for the httpx clients the workers share.

httpcore's pool walks every connection it keeps (a ``poll`` for each idle
one) under a single lock whenever a request starts or ends. With a
backfill's 32 workers on one client, a third of their time went to waiting
on that lock (py-spy on ``bench/backfill.py``). Here each thread sends
through its own pool, which holds only the connections that thread uses.
A thread's pool is closed when the thread is gone (the workers of a poll
cycle end with it) or when the client is closed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import httpx
import requests.utils

# A thread sends one request at a time, but may hold a streamed answer open
# while it sends the next: no bound on connections, a few kept alive.
_PER_THREAD = httpx.Limits(max_connections=None, max_keepalive_connections=4)


def thread_pools(url: str | None, *, trust_env: bool = True) -> ThreadPools:
    """Per-thread pools that send as ``httpx.Client(trust_env=...)`` would.

    The environment (the proxy for ``url``, honouring ``NO_PROXY``, and
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``) is read once, and the TLS context is
    shared by every thread's pool, as the Jira session does (see
    ``syncd.jira.connection.settle_environment``).
    """
    proxy = None
    if trust_env and url is not None:
        proxies = requests.utils.get_environ_proxies(url)
        proxy = requests.utils.select_proxy(url, proxies)
        if proxy and "://" not in proxy:
            proxy = f"http://{proxy}"  # as httpx reads HTTPS_PROXY=host:port
    context = httpx.create_ssl_context(trust_env=trust_env)
    return ThreadPools(
        lambda: httpx.HTTPTransport(verify=context, limits=_PER_THREAD, proxy=proxy)
    )


class ThreadPools(httpx.BaseTransport):
    """Hands each request to the calling thread's own transport."""

    def __init__(self, make: Callable[[], httpx.BaseTransport]) -> None:
        self._make = make
        self._local = threading.local()
        # Reentrant: a finished thread's finalizer may run inside close().
        self._lock = threading.RLock()
        self._open: set[httpx.BaseTransport] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._own().handle_request(request)

    def close(self) -> None:
        with self._lock:
            transports = list(self._open)
            self._open.clear()
        for transport in transports:
            transport.close()

    def _own(self) -> httpx.BaseTransport:
        transport: httpx.BaseTransport | None = getattr(self._local, "transport", None)
        if transport is None:
            transport = self._make()
            self._local.transport = transport
            with self._lock:
                self._open.add(transport)
            weakref.finalize(threading.current_thread(), self._retire, transport)
        return transport

    def _retire(self, transport: httpx.BaseTransport) -> None:
        """Close the pool of a thread that is gone."""
        with self._lock:
            self._open.discard(transport)
        transport.close()

    def open_count(self) -> int:
        """Transports currently open (one per thread that sent and lives)."""
        with self._lock:
            return len(self._open)
