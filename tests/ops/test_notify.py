"""The systemd notify protocol, read from a socket the test creates."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.ops.notify import Notifier


@pytest.fixture
def datagrams(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(2)
        yield str(path), sock


def received(sock: socket.socket) -> list[str]:
    messages = []
    sock.settimeout(0.2)
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            return messages


def test_ready_watchdog_and_stopping_reach_the_socket(
    datagrams: tuple[str, socket.socket],
) -> None:
    path, sock = datagrams
    notifier = Notifier.from_environ(
        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"}
    )

    notifier.ready()
    notifier.watchdog()
    notifier.stopping()

    assert received(sock) == ["READY=1\nSTATUS=syncing", "WATCHDOG=1", "STOPPING=1"]


def test_watchdog_pings_are_spaced_by_a_quarter_of_the_timeout(
    datagrams: tuple[str, socket.socket],
) -> None:
    path, sock = datagrams
    now = [0.0]
    notifier = Notifier(path, watchdog_seconds=20.0, clock=lambda: now[0])

    notifier.watchdog()
    now[0] = 4.9
    notifier.watchdog()
    now[0] = 5.0
    notifier.watchdog()

    assert received(sock) == ["WATCHDOG=1", "WATCHDOG=1"]


def test_an_abstract_socket_name_starting_with_at_is_used() -> None:
    name = f"syncd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)

        Notifier(f"@{name}").ready("warming up")

        assert sock.recv(4096) == b"READY=1\nSTATUS=warming up"


def test_without_notify_socket_nothing_is_sent_and_nothing_fails() -> None:
    notifier = Notifier.from_environ({})

    assert notifier.enabled is False
    assert notifier.send("READY=1") is False
    notifier.watchdog()


def test_watchdog_meant_for_another_process_is_ignored() -> None:
    other = str(os.getpid() + 1)

    notifier = Notifier.from_environ(
        {"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "10", "WATCHDOG_PID": other}
    )

    assert notifier.watchdog_seconds is None


def test_a_vanished_supervisor_does_not_raise(tmp_path: Path) -> None:
    notifier = Notifier(str(tmp_path / "gone.sock"))

    assert notifier.send("STOPPING=1") is False
