"""Log news about the API once per process, not once per response.

An unknown key or enumeration id shows up in every response of a sync cycle;
one line per (what, version) is enough to notice it. Only names and ids are
logged, never values, since report fields are confidential.
"""

from __future__ import annotations

import threading

import structlog

_seen: set[tuple[str, ...]] = set()
_lock = threading.Lock()


def _first_time(marker: tuple[str, ...]) -> bool:
    with _lock:
        if marker in _seen:
            return False
        _seen.add(marker)
        return True


def note_unknown_field(shape: str, key: str, version: str) -> None:
    """Log ``intigriti.unknown_field`` the first time ``key`` is seen."""
    if _first_time(("field", shape, key, version)):
        structlog.get_logger(__name__).warning(
            "intigriti.unknown_field", shape=shape, key=key, version=version
        )


def note_unknown_enum(kind: str, number: int) -> None:
    """Log ``intigriti.unknown_enum`` the first time id ``number`` is seen."""
    if _first_time(("enum", kind, str(number))):
        structlog.get_logger(__name__).warning(
            "intigriti.unknown_enum", kind=kind, id=number
        )


def forget() -> None:
    """Clear the memory of what was logged (for tests)."""
    with _lock:
        _seen.clear()
