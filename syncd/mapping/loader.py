"""Reading a mapping file, with errors that point into it.

ruamel.yaml keeps the line and column of every key and item, so each
validation error is reported as ``file:line:column: key.path: problem``,
the way compilers do, and a rule is named by its ``name`` as well as its
index. Templates compile during validation, so a template syntax error is
reported the same way, at its rule and field, and every template is then
tried against sample submissions (``validate``), so a misspelt variable
stops start-up instead of quarantining every submission.

A mapping file is operator configuration, but a hostile or broken one must
fail fast: files above ``MAX_FILE_BYTES`` are refused before parsing, and
so are YAML aliases (``*name``). Aliases are refused outright rather than
bounded: the "billion laughs" bomb is built from them, mapping files have
no need of them (they are a few kilobytes of mostly distinct keys), and an
aliased node has no line of its own for error messages. Parsing stops at
``MAX_NODES`` nodes and ``MAX_DEPTH`` levels, as pure-Python YAML costs
about 40 µs per node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from syncd.errors import ConfigError
from syncd.mapping.models import Mapping
from syncd.mapping.validate import template_problems

MAX_FILE_BYTES = 256 * 1024
"""About 50 times the largest shipped mapping."""
MAX_NODES = 20_000
MAX_DEPTH = 30


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; raise ConfigError naming file and line."""
    return read_mapping(path).mapping


@dataclass(frozen=True)
class MappingFile:
    """A validated mapping with the YAML it came from, to point into it."""

    path: Path
    mapping: Mapping
    document: Any

    def where(self, *loc: str | int) -> str:
        """``file:line:column: key.path`` of a key, as errors name it."""
        keys, line, column = _locate(self.document, loc)
        path = _key_path(keys, self.document) or "(top)"
        return f"{self.path}:{line}:{column}: {path}"


def read_mapping(path: Path) -> MappingFile:
    """``load_mapping``, keeping the YAML document for later messages."""
    source = _read(path)
    try:
        document = _yaml().load(source)
    except MarkedYAMLError as exc:
        raise ConfigError(_yaml_message(path, exc)) from None
    except YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}:1:1: a mapping file must be a YAML mapping")

    try:
        mapping = Mapping.model_validate(_plain(document))
    except ValidationError as exc:
        lines = [_error_line(path, document, error) for error in exc.errors()]
        raise ConfigError("invalid mapping file:\n" + "\n".join(lines)) from None

    file = MappingFile(path, mapping, document)
    problems = [
        f"{file.where(*loc)}: template {problem}"
        for loc, problem in template_problems(mapping)
    ]
    if problems:
        raise ConfigError("invalid mapping file:\n" + "\n".join(problems))
    return file


def _read(path: Path) -> str:
    """The file's text, refused unread past ``MAX_FILE_BYTES``."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read mapping file: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path}: mapping file is larger than the {MAX_FILE_BYTES}-byte cap"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read mapping file: {exc}") from None


class _BoundedComposer(Composer):
    """ruamel's composer, refusing aliases and stopping at ``MAX_NODES``."""

    nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise ComposerError(
                None,
                None,
                f"alias *{event.anchor} refused: a mapping file may not use "
                "aliases; write the value out",
                event.start_mark,
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ComposerError(
                None, None, f"more than {MAX_NODES} YAML nodes", event.start_mark
            )
        return super().compose_node(parent, index)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Composer = _BoundedComposer
    yaml.max_depth = MAX_DEPTH
    return yaml


def _yaml_message(path: Path, exc: MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = exc.problem or exc.context or "malformed"
    return f"{where}: invalid YAML: {problem}"


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


# Union tags pydantic puts in error locations; they are not keys of the file.
_UNION_TAGS = frozenset(
    {
        "field object",
        "field value",
        "field section",
        "facts section",
        "text section",
        "heading section",
    }
)


def _error_line(path: Path, document: Any, error: Any) -> str:
    loc = [part for part in error["loc"] if part not in _UNION_TAGS]
    keys, line, column = _locate(document, loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = f"missing key {keys[-1]!r}" if keys else message
        keys = keys[:-1]
    elif error["type"] == "extra_forbidden":
        message = f"unknown key {keys[-1]!r}" if keys else message
    return f"{path}:{line}:{column}: {_key_path(keys, document) or '(top)'}: {message}"


def _locate(document: Any, loc: Sequence[Any]) -> tuple[list[Any], int, int]:
    """Keys of ``loc`` found in the YAML, and the 1-based line/column reached.

    Parts of a pydantic location that are not keys (union tags) are skipped.
    """
    node, keys = document, []
    line, column = _position(document)
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            line, column = _key_position(node, part, (line, column))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            line, column = _item_position(node, part, (line, column))
            node = node[part]
        elif index == len(loc) - 1 and isinstance(node, dict):
            keys.append(part)
            break
        else:
            continue
        keys.append(part)
    return keys, line, column


def _position(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    return (lc.line + 1, lc.col + 1) if lc is not None else (1, 1)


def _key_position(node: Any, key: Any, fallback: tuple[int, int]) -> tuple[int, int]:
    try:
        line, column = node.lc.key(key)
    except (AttributeError, KeyError, TypeError):
        return fallback
    return line + 1, column + 1


def _item_position(node: Any, index: int, fallback: tuple[int, int]) -> tuple[int, int]:
    try:
        line, column = node.lc.item(index)
    except (AttributeError, KeyError, TypeError, IndexError):
        return fallback
    return line + 1, column + 1


def _key_path(keys: Sequence[Any], document: Any) -> str:
    text, node = "", document
    for key in keys:
        if isinstance(key, int):
            text += f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                text += f" (rule {node['name']!r})"
        else:
            text += f".{key}" if text else str(key)
            node = node.get(key) if isinstance(node, dict) else None
    return text
