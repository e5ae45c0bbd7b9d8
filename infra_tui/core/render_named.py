"""Renders that depend on the new component's name, without ruamel.yaml on every keystroke.

Typing the name in the wizard changes the name in four or five generated files (namespace,
HelmRepository, HelmRelease, the Flux Kustomization, the CiliumNetworkPolicy); dumping them through
ruamel.yaml again is most of a keystroke's plan. ``cached_named(fn, name, *args)`` renders ``fn``
once with a stand-in where the arguments hold the name, memoised on everything but the name, and
puts the name into that text in place of the stand-in.

The text is the one ``fn(*args)`` gives, not an approximation:
* the name is a lowercase DNS label of 3-63 characters that YAML reads as a string (no ``yes``,
  ``true``, ``null``...); the stand-ins are too. Such a token is emitted plain wherever it sits in a
  scalar, the same for any two of them, so the emitter's choices (quoting, style) do not change.
* what could still depend on the token's length (the padding before a comment after it on the
  same line, folding at the width, the 128-character limit of a simple key) is ruled out by
  rendering with a 3- and a 63-character stand-in: each of those grows monotonically with the
  length, so equal texts at both ends mean equal texts for every length between. A render that
  transforms the name (``_camel``, ``removesuffix``) also shows up there, as a difference.
* no argument and no skeleton contains a stand-in (checked; ``tests/unit/test_render_named.py``
  proves the same text as ``render.cached`` for generated specs with hypothesis).
Otherwise, and for any other name, it is ``render.cached(fn, *args)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from infra_tui.core import render, yamlio
from infra_tui.core.render import Rendered

SHORT = "zqx"
LONG = "zqy" + "w" * 60
"""The stand-ins: the shortest and the longest name handled, in the characters of a name."""
NAME = re.compile(r"[a-z][a-z0-9-]{1,61}[a-z0-9]")
RESERVED = frozenset({"yes", "off", "true", "false", "null"})
"""Names of 3+ characters that YAML 1.1 or 1.2 reads as something else than a string."""
_TEMPLATES: dict[tuple[Any, ...], Rendered | None] = {}
"""(render, arguments with the stand-in) -> the template, None where the text is not the same."""
_NAMED: dict[tuple[Any, ...], str] = {}
"""(render, arguments with the stand-in) -> the name last rendered with them, before a template."""


def clear_cache() -> None:
    """Forget the templates (benchmarks use it to time a cold plan)."""
    _TEMPLATES.clear()
    _NAMED.clear()


def _swap(value: Any, name: str, stand_in: str) -> Any:
    """``value`` with every string equal to ``name`` or ending in ``/name`` (a folder path)
    holding ``stand_in`` there; tuples are walked, other containers kept as they are."""
    if isinstance(value, str):
        if value == name:
            return stand_in
        if value.endswith("/" + name):
            return value[: -len(name)] + stand_in
        return value
    if isinstance(value, tuple):
        return tuple(_swap(v, name, stand_in) for v in value)
    return value


def _template(
    fn: Callable[..., Rendered], swapped: tuple[Any, ...], args: tuple[Any, ...], name: str
) -> Rendered | None:
    """``fn`` rendered with the short stand-in, or None when its text depends on more than where
    the name goes, or before the name changed under the same other arguments: a keystroke in
    another field renders once, as without templates; the name's first keystroke makes it."""
    key = (fn.__name__, render.freeze(swapped))
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    if _NAMED.get(key, name) == name:
        if len(_NAMED) >= 512:
            _NAMED.clear()
        _NAMED[key] = name
        return None
    if len(_TEMPLATES) >= 512:
        _TEMPLATES.clear()
    short = fn(*swapped)
    long = fn(*_swap(args, name, LONG))
    same = short.text.replace(SHORT, "\0") == long.text.replace(LONG, "\0") and [
        r.replace(SHORT, "\0") for r in short.reviews
    ] == [r.replace(LONG, "\0") for r in long.reviews]
    _TEMPLATES[key] = out = short if same else None
    return out


def _by_name(fn: Callable[..., Rendered], name: str, *args: Any) -> Rendered:
    swapped = _swap(args, name, SHORT)
    tpl = _template(fn, swapped, args, name)
    if tpl is None:
        return fn(*args)
    text = tpl.text.replace(SHORT, name)
    docs, _ = yamlio.load_documents(text, "<generated>")
    return Rendered(text, tuple(d.data for d in docs), tuple(r.replace(SHORT, name) for r in tpl.reviews))


def cached_named(fn: Callable[..., Rendered], name: str, *args: Any) -> Rendered:
    """``render.cached(fn, *args)``, made from a template without the name when it can be."""
    if (
        not NAME.fullmatch(name)
        or name in RESERVED
        or any(s in repr(render.freeze(args)) for s in (SHORT, LONG[:3]))
    ):
        return render.cached(fn, *args)
    return render.cached(_by_name, fn, name, *args)
