"""A Jinja sandbox that also bounds the work one render may do.

Jinja's sandbox stops attribute escapes and caps one ``range`` at 100,000
items, but nested loops multiply: ``{% for a in range(100000) %}{% for b in
range(100000) %}`` runs 10^10 steps and hangs the sync loop. Each render
here gets a budget of ``STEP_LIMIT`` steps; a step is one item drawn by a
``for`` loop (recursive loops count each body run too), one item of a
``range``, or one item or character made by ``*``. Output is capped at
``OUTPUT_LIMIT`` characters. Past either, the render fails with
``RenderLimitError``, which ``Template.render`` reports as a MappingError.

Loops are counted by rewriting the parsed template (``bound_loops``): each
loop's iterable is wrapped in a call to a counting global, so no private
Jinja API is touched. The budget lives in a ContextVar that ``budget()``
sets per render; templates cannot reach it.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import TemplateRuntimeError
from jinja2.sandbox import ImmutableSandboxedEnvironment

STEP_LIMIT = 100_000
OUTPUT_LIMIT = 1_000_000
"""Characters one template may render; a whole description is 32,767."""
MAX_EXPONENT = 1_000

_STEP = "_syncd_step"
_STEPS: ContextVar[list[int]] = ContextVar("syncd_template_steps")


class RenderLimitError(TemplateRuntimeError):
    """A render went past the step or output budget."""


@contextmanager
def budget() -> Iterator[None]:
    """A fresh step budget for the renders inside the block."""
    token = _STEPS.set([STEP_LIMIT])
    try:
        yield
    finally:
        _STEPS.reset(token)


def spend(steps: int) -> None:
    """Take ``steps`` from the current render's budget, or fail."""
    left = _STEPS.get([0])
    left[0] -= steps
    if left[0] < 0:
        raise RenderLimitError(f"more than {STEP_LIMIT} loop steps")


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        spend(1)
        yield item


def _step(iterable: Any = None) -> Any:
    """Loop hook: counts an iterable's items, or (no argument) one body run."""
    if iterable is None:
        spend(1)
        return ""
    return _counted(iterable)


def _range(*args: int) -> range:
    numbers = range(*args)
    spend(len(numbers))
    return numbers


def bound_loops(template: nodes.Template) -> nodes.Template:
    """``template`` with every loop counting its steps (changed in place)."""
    for loop in template.find_all(nodes.For):
        loop.iter = nodes.Call(
            nodes.Name(_STEP, "load"), [loop.iter], [], None, None, lineno=loop.lineno
        )
        if loop.recursive:
            hook = nodes.Call(nodes.Name(_STEP, "load"), [], [], None, None)
            loop.body.insert(0, nodes.ExprStmt(hook, lineno=loop.lineno))
    return template


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with counted ``range``, ``*`` and ``**``."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _range
        self.globals[_STEP] = _step

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise RenderLimitError(f"exponent above {MAX_EXPONENT}")
            return operator.pow(left, right)
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                spend(max(count, 0) * max(len(sequence), 1))
        return operator.mul(left, right)
