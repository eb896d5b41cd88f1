"""The Intigriti External Company API, as the daemon uses it.

Paths per version (API.md section 2): ``{api_url}/company/v2.1/...``,
``{api_url}/company/v2/...`` and ``{api_url}/v1.2/...``. v1.2 has no write
endpoints and no query filters; its filters are applied here instead.
The bearer token is only ever sent to ``api_url`` (redirects are not followed).

SWAGGER, the vendor reference of every endpoint below:
https://api.intigriti.com/external/company/swagger (a copy of the v2.1
document is ``shared/intigriti/openapi-v2.1.json``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import ijson  # type: ignore[import-untyped]  # ships no type hints

from syncd.errors import ConfigError, ServiceUnavailable
from syncd.intigriti.enums import CloseReason, StatusTrigger
from syncd.intigriti.errors import MalformedResponseError
from syncd.intigriti.models import Program, Submission, SubmissionEvent
from syncd.intigriti.models import SubmissionSummary as Summary
from syncd.intigriti.parse import (
    parse_event,
    parse_list,
    parse_program,
    parse_submission,
    parse_summary,
)
from syncd.intigriti.pools import thread_pools
from syncd.intigriti.tokens import TokenProvider
from syncd.intigriti.transport import Call, RetryPolicy, Transport
from syncd.settings import IntigritiSettings

_PREFIXES = {"v2.1": "company/v2.1", "v2.0": "company/v2", "v1.2": "v1.2"}


def _seconds(moment: datetime) -> int:
    # Time filters are PascalCase query parameters in unix seconds (API.md 3).
    return int(moment.timestamp())


class IntigritiClient:
    """Reads and writes submissions; thread-safe, one per process is enough."""

    def __init__(
        self,
        settings: IntigritiSettings,
        tokens: TokenProvider,
        http: httpx.Client | None = None,
        *,
        retry: RetryPolicy | None = None,
        program_cache_seconds: float = 300.0,
    ) -> None:
        self._settings = settings
        self._version = settings.api_version
        self._base = f"{settings.api_url.rstrip('/')}/{_PREFIXES[self._version]}"
        self._own_http = http is None
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(settings.timeout_seconds, connect=10.0),
            follow_redirects=False,
            # Each worker thread keeps its own connections (see pools.py).
            transport=thread_pools(settings.api_url),
        )
        self._transport = Transport(self._http, tokens, retry or RetryPolicy())
        self._program_cache_seconds = program_cache_seconds
        self._programs: dict[str, Program] = {}
        self._programs_fetched_at: float | None = None
        self._programs_lock = threading.Lock()

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def add_event_hooks(self, hooks: Mapping[str, list[Callable[..., Any]]]) -> None:
        """Add httpx ``event_hooks`` (``request``/``response``), e.g. for metrics."""
        for name, added in hooks.items():
            self._http.event_hooks[name] = [*self._http.event_hooks[name], *added]

    # --- reads ---------------------------------------------------------------

    def list_programs(self) -> list[Program]:
        """Every program of the company."""
        if self._version == "v1.2":
            # v1.2 has no program endpoint; programs ride along on submissions.
            return self._v1_programs()
        # GET /programs, see SWAGGER.
        data = self._get_json(Call("list_programs", "GET", self._url("programs")))
        programs = parse_list(
            data, lambda item: parse_program(item, self._version), self._version, "[]"
        )
        self._remember(programs)
        return programs

    def list_submissions(
        self, updated_since: datetime | None, program_id: str | None = None
    ) -> list[Summary]:
        """Submissions changed at or after ``updated_since`` (all when None)."""
        if self._version == "v1.2":
            items = self._v1_items(program_id)
        else:
            path = "submissions"
            if program_id is not None:
                path = f"programs/{quote(program_id, safe='')}/submissions"
            params = {}
            if updated_since is not None:
                params["UpdatedSince"] = _seconds(updated_since)
            # GET /submissions or /programs/{id}/submissions, see SWAGGER.
            call = Call("list_submissions", "GET", self._url(path), params=params)
            items = self._list(self._get_json(call))
        summaries = [self._summary(item) for item in items]
        if updated_since is None:
            return summaries
        return [item for item in summaries if item.last_updated_at >= updated_since]

    def iter_submission_items(self, program_id: str | None = None) -> Iterator[Any]:
        """Every item of the submission list, raw, parsed as it arrives.

        The list is one bare JSON array, without paging; reading it item by
        item keeps memory flat however many submissions a company has.
        """
        if self._version == "v1.2":
            yield from self._v1_items(program_id)
            return
        path = "submissions"
        if program_id is not None:
            path = f"programs/{quote(program_id, safe='')}/submissions"
        # GET /submissions or /programs/{id}/submissions, see SWAGGER.
        call = Call("list_submissions", "GET", self._url(path))
        response = self._transport.open_stream(call)
        try:
            yield from _array_items(response.iter_bytes())
        except ijson.JSONError:
            raise MalformedResponseError(
                "Intigriti answered a list call with a malformed array",
                None,
                "<body>",
            ) from None
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"Intigriti list_submissions: {type(exc).__name__}"
            ) from None
        finally:
            response.close()

    def get_submission(self, code: str) -> Submission:
        """One submission in full; v2.x gets program handle and name added."""
        data = self._get_json(self._detail_call(code))
        submission = parse_submission(data, self._version, self._settings.enums)
        if self._version == "v1.2" or submission.program_id is None:
            return submission
        program = self._program(submission.program_id)
        if program is None:
            return submission
        return submission.model_copy(
            update={"program_handle": program.handle, "program_name": program.name}
        )

    def list_events(
        self, code: str, created_since: datetime | None
    ) -> list[SubmissionEvent]:
        """A submission's history at or after ``created_since`` (all when None)."""
        if self._version == "v1.2":
            # v1.2 embeds the history in the detail (API.md section 4.8).
            detail = self._get_json(self._detail_call(code))
            raw = detail.get("events") if isinstance(detail, Mapping) else None
            items = raw if isinstance(raw, list) else []
        else:
            params = {}
            if created_since is not None:
                params["CreatedSince"] = _seconds(created_since)
            # GET /submissions/{code}/events, see SWAGGER.
            url = self._url(f"submissions/{quote(code, safe='')}/events")
            call = Call("list_events", "GET", url, submission=code, params=params)
            items = self._list(self._get_json(call), code)
        events = [parse_event(item, self._version, code) for item in items]
        if created_since is None:
            return events
        return [event for event in events if event.created_at >= created_since]

    # --- writes --------------------------------------------------------------

    def set_internal_reference(self, code: str, reference: str, url: str) -> None:
        """Point the submission at its Jira issue (``PUT .../internal-reference``)."""
        body = {"reference": reference, "url": url}
        # Setting the same reference twice is harmless, so this write may retry.
        self._write(code, "set_internal_reference", "PUT", "internal-reference", body)

    def change_state(
        self,
        code: str,
        trigger: StatusTrigger,
        close_reason: CloseReason | None = None,
        duplicate_of: str | None = None,
    ) -> None:
        """Apply a status trigger (``PUT .../state``); ids come from the tables."""
        enums = self._settings.enums
        body: dict[str, Any] = {"statusTrigger": enums.trigger_id(trigger)}
        if close_reason is not None:
            body["closeReason"] = enums.close_reason_id(close_reason)
        if duplicate_of is not None:
            body["duplicateSubmission"] = duplicate_of
        self._write(code, "change_state", "PUT", "state", body, idempotent=False)

    def add_comment(self, code: str, message: str, *, internal: bool) -> str:
        """Post a message; external ones are visible to the researcher."""
        path = "comments/internal" if internal else "comments/external"
        response = self._write(
            code, "add_comment", "POST", path, {"message": message}, idempotent=False
        )
        body = self._json(response, code)
        message_id = body.get("messageId") if isinstance(body, Mapping) else None
        if not isinstance(message_id, str):
            raise MalformedResponseError(
                f"Intigriti add_comment on {code}: key 'messageId' is missing",
                code,
                "messageId",
            )
        return message_id

    # --- helpers -------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self._base}/{path}"

    def _detail_call(self, code: str) -> Call:
        # GET /submissions/{code}, see SWAGGER.
        url = self._url(f"submissions/{quote(code, safe='')}")
        return Call("get_submission", "GET", url, submission=code)

    def _write(
        self,
        code: str,
        operation: str,
        method: str,
        path: str,
        body: Mapping[str, Any],
        *,
        idempotent: bool = True,
    ) -> httpx.Response:
        if self._version == "v1.2":
            raise ConfigError(
                f"Intigriti API v1.2 has no write endpoints ({operation}); "
                "set intigriti.api_version to v2.1"
            )
        # PUT/POST /submissions/{code}/..., see SWAGGER.
        url = self._url(f"submissions/{quote(code, safe='')}/{path}")
        call = Call(operation, method, url, code, json=body, idempotent=idempotent)
        return self._transport.send(call)

    def _get_json(self, call: Call) -> Any:
        return self._json(self._transport.send(call), call.submission)

    def _json(self, response: httpx.Response, code: str | None) -> Any:
        try:
            return response.json()
        except ValueError:
            raise MalformedResponseError(
                f"Intigriti answered {code or 'a list call'} with a non-JSON body",
                code,
                "<body>",
            ) from None

    def _list(self, data: Any, code: str | None = None) -> list[Any]:
        if not isinstance(data, list):
            raise MalformedResponseError(
                f"Intigriti answered {code or 'a list call'} with a non-list",
                code,
                "<body>",
            )
        return data

    def _summary(self, item: Any) -> Summary:
        return parse_summary(item, self._version, self._settings.enums)

    def _v1_items(self, program_id: str | None) -> list[Any]:
        call = Call("list_submissions", "GET", self._url("submissions"))
        items = self._list(self._get_json(call))
        if program_id is None:
            return items
        return [item for item in items if program_id in _v1_program_ids(item)]

    def _v1_programs(self) -> list[Program]:
        programs: dict[str, Program] = {}
        for item in self._v1_items(None):
            raw = item.get("program") if isinstance(item, Mapping) else None
            if raw is not None:
                program = parse_program(raw, self._version)
                programs.setdefault(program.id, program)
        return list(programs.values())

    def _remember(self, programs: list[Program]) -> None:
        with self._programs_lock:
            self._programs = {program.id: program for program in programs}
            self._programs_fetched_at = time.monotonic()

    def _program(self, program_id: str) -> Program | None:
        with self._programs_lock:
            known = self._programs.get(program_id)
            fetched_at = self._programs_fetched_at
        stale = (
            fetched_at is None
            or time.monotonic() - fetched_at > self._program_cache_seconds
        )
        if known is None and stale:
            self.list_programs()
            with self._programs_lock:
                known = self._programs.get(program_id)
        return known


def _array_items(chunks: Iterable[bytes]) -> Iterator[Any]:
    """The items of a top-level JSON array, one at a time (ijson's push parser)."""
    found: list[Any] = ijson.sendable_list()
    parser = ijson.items_coro(found, "item", use_float=True)
    for chunk in chunks:
        parser.send(chunk)
        yield from found
        del found[:]
    parser.close()
    yield from found


def _v1_program_ids(item: Any) -> set[str]:
    program = item.get("program") if isinstance(item, Mapping) else None
    if not isinstance(program, Mapping):
        return set()
    return {value for value in (program.get("id"), program.get("handle")) if value}
