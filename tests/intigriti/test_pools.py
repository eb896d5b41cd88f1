"""Per-thread connection pools for the httpx clients workers share."""

from __future__ import annotations

import gc
import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest

from syncd.intigriti.pools import ThreadPools, thread_pools


class _Counting(httpx.BaseTransport):
    def __init__(self, made: list[_Counting]) -> None:
        self.closed = False
        self.sent = 0
        made.append(self)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return httpx.Response(200, text=str(id(self)))

    def close(self) -> None:
        self.closed = True


def _in_thread(client: httpx.Client) -> str:
    answer: list[str] = []
    worker = threading.Thread(target=lambda: answer.append(client.get("/").text))
    worker.start()
    worker.join()
    return answer[0]


def test_each_thread_sends_through_its_own_transport() -> None:
    made: list[_Counting] = []
    pools = ThreadPools(lambda: _Counting(made))
    client = httpx.Client(transport=pools, base_url="http://h")

    mine = {client.get("/").text, client.get("/").text}
    other = _in_thread(client)

    assert len(mine) == 1
    assert other not in mine
    assert [t.sent for t in made] == [2, 1]


def test_a_gone_threads_pool_is_closed_and_close_closes_the_rest() -> None:
    made: list[_Counting] = []
    pools = ThreadPools(lambda: _Counting(made))
    client = httpx.Client(transport=pools, base_url="http://h")
    client.get("/")
    _in_thread(client)
    gc.collect()  # the finished thread's object goes, and its pool with it

    assert [t.closed for t in made] == [False, True]
    assert pools.open_count() == 1

    client.close()
    assert [t.closed for t in made] == [True, True]
    assert pools.open_count() == 0


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.seen.append(self.requestline)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("scheme", ["http://", ""], ids=["with-scheme", "bare"])
def test_the_environments_proxy_is_used_as_httpx_would(
    recorder: str, scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The "proxy" is the loopback recorder: it sees the absolute URL. httpx
    # takes a proxy written without a scheme as http://, and so do the pools.
    monkeypatch.setenv("HTTP_PROXY", scheme + recorder.removeprefix("http://"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    target = "http://syncd-test.invalid/path"
    with httpx.Client(transport=thread_pools(target)) as client:
        assert client.get(target).status_code == 204

    assert _Recorder.seen == [f"GET {target} HTTP/1.1"]


def test_no_proxy_is_honoured(recorder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with httpx.Client(transport=thread_pools(recorder)) as client:
        assert client.get(f"{recorder}/direct").status_code == 204

    assert _Recorder.seen == ["GET /direct HTTP/1.1"]


def test_without_trust_env_no_proxy_is_read(
    recorder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with httpx.Client(transport=thread_pools(None, trust_env=False)) as client:
        assert client.get(f"{recorder}/direct").status_code == 204

    assert _Recorder.seen == ["GET /direct HTTP/1.1"]
