"""Topic router: a trie over topic levels (the MQTT routing hot path).

Reference implementation, also compiled from this very file as
``envoxy.mqtt._router_c`` (Cython pure mode); tests/speedups proves both agree
with each other and with paho's ``topic_matches_sub``.

Patterns follow MQTT filters: ``+`` is one level, a final ``#`` is any number
of levels including none (``a/#`` matches ``a``), and topics starting with
``$`` are not matched by a leading ``+`` or ``#``. A ``$share/<group>/``
prefix is stripped. A ``{name}`` (or ``{name:type}``) level matches like ``+``
and binds that level to ``name``. Matching walks the trie level by level, so
its cost depends on the topic, not on how many patterns are registered.
"""

from __future__ import annotations

try:
    import cython
except ModuleNotFoundError:  # pure install without Cython: same module, uncompiled
    from envoxy import _cython_shim as cython  # type: ignore[no-redef]

from types import MappingProxyType
from typing import Any

if cython.compiled:
    from cython.cimports.cpython.object import PyObject  # type: ignore[import-not-found]
    from cython.cimports.cpython.unicode import (  # type: ignore[import-not-found]
        PyUnicode_Tailmatch,
    )

__all__ = ["NO_PARAMS", "Router", "parse_pattern"]

SHARE_PREFIX = "$share/"
#: The params of a match without ``{var}`` levels (shared, read-only).
NO_PARAMS: Any = MappingProxyType({})

# PERF(router-*): C constants when compiled (no module-dict lookups in loops).
#: Topics deeper than this take the generic path (the C span arrays' size).
MAX_LEVELS = cython.declare(cython.Py_ssize_t, 64)
#: Up to this many children are compared in place; more get a hash table.
SMALL_FANOUT = cython.declare(cython.Py_ssize_t, 8)
#: Matches collected in place; more handlers than this take the generic path.
MAX_HITS = cython.declare(cython.Py_ssize_t, 32)
FNV_OFFSET = cython.declare(cython.ulonglong, 0xCBF29CE484222325)
FNV_PRIME = cython.declare(cython.ulonglong, 0x100000001B3)
MASK64 = cython.declare(cython.ulonglong, 0xFFFFFFFFFFFFFFFF)


@cython.cclass
class _Entry:
    """One registered handler: its order, its captured levels."""

    handler = cython.declare(object, visibility="public")
    pattern = cython.declare(str, visibility="public")
    seq = cython.declare(cython.long, visibility="public")
    captures = cython.declare(tuple, visibility="public")
    fixed = cython.declare(object, visibility="public")

    def __init__(
        self, handler: object, pattern: str, seq: int, captures: tuple
    ) -> None:
        self.handler = handler
        self.pattern = pattern
        self.seq = seq
        self.captures = captures
        # PERF(router-*): a match without captures returns this prebuilt pair.
        self.fixed = None if captures else (handler, NO_PARAMS)


@cython.cclass
class _Node:
    children = cython.declare(dict, visibility="public")
    plus = cython.declare(object, visibility="public")
    hash_entries = cython.declare(list, visibility="public")
    entries = cython.declare(list, visibility="public")
    depth = cython.declare(cython.Py_ssize_t, visibility="public")
    keys = cython.declare(list, visibility="public")
    kids = cython.declare(list, visibility="public")
    slot_keys = cython.declare(list, visibility="public")
    slot_kids = cython.declare(list, visibility="public")
    mask = cython.declare(cython.Py_ssize_t, visibility="public")

    def __init__(self, depth: int = 0) -> None:
        self.children = {}
        self.plus = None
        self.hash_entries = []
        self.entries = []
        self.depth = depth  # the topic level this node consumes next
        # PERF(router-*): the same children as lists, scanned without hashing
        # while the fan-out is small.
        self.keys = []
        self.kids = []
        # PERF(router-1000, router-100000): past SMALL_FANOUT, an open-addressed
        # table hashed over characters, so a level is looked up in place
        # (no substring object) -- compiled builds only.
        self.slot_keys = []
        self.slot_kids = []
        self.mask = 0

    def add_child(self, key: str, child: _Node) -> None:
        """Link ``child`` under ``key`` in every index the match paths use."""
        self.children[key] = child
        self.keys.append(key)
        self.kids.append(child)
        if cython.compiled and len(self.keys) > SMALL_FANOUT:
            if 2 * len(self.keys) > len(self.slot_keys):
                self._rebuild_slots()
            else:
                self._place(key, child)

    def _rebuild_slots(self) -> None:
        capacity: cython.Py_ssize_t = 16
        while capacity < 2 * len(self.keys):
            capacity *= 2
        self.slot_keys = [None] * capacity
        self.slot_kids = [None] * capacity
        self.mask = capacity - 1
        k: cython.Py_ssize_t
        for k in range(len(self.keys)):
            self._place(self.keys[k], self.kids[k])

    def _place(self, key: str, child: _Node) -> None:
        slot: cython.Py_ssize_t = _span_hash(key, 0, len(key)) & self.mask
        while self.slot_keys[slot] is not None:  # load <= 1/2: a free slot exists
            slot = (slot + 1) & self.mask
        self.slot_keys[slot] = key
        self.slot_kids[slot] = child


@cython.annotation_typing(False)
def parse_pattern(pattern: str) -> tuple[list[str], tuple[tuple[int, str], ...]]:
    """Levels of ``pattern`` (``{var}`` levels become ``+``) and the captures
    ``((level index, name), ...)``; ``ValueError`` for a malformed filter."""
    if not isinstance(pattern, str):
        raise TypeError(f"a topic pattern must be a str, got {type(pattern).__name__}")
    text = str.__str__(pattern)
    if text.startswith(SHARE_PREFIX):
        group, sep, rest = text[len(SHARE_PREFIX) :].partition("/")
        if not group or not sep or not rest:
            raise ValueError(
                f"invalid shared subscription {pattern!r}: use $share/<group>/<filter>"
            )
        text = rest
    levels = text.split("/")
    captures = []
    last = len(levels) - 1
    for index, level in enumerate(levels):
        if level.startswith("{") and level.endswith("}") and len(level) > 2:
            name = level[1:-1].partition(":")[0]
            if not name.isidentifier():
                raise ValueError(f"invalid variable {level!r} in {pattern!r}")
            captures.append((index, name))
            levels[index] = "+"
        elif level == "#":
            if index != last:
                raise ValueError(f"'#' must be the last level in {pattern!r}")
        elif level != "+" and ("+" in level or "#" in level):
            raise ValueError(f"wildcards must fill a whole level in {pattern!r}")
    return levels, tuple(captures)


@cython.cclass
class Router:
    """Patterns -> handlers; ``match(topic)`` gives every matching handler."""

    _root = cython.declare(_Node)
    _seq = cython.declare(cython.long)
    _size = cython.declare(cython.long)

    def __init__(self) -> None:
        self._root = _Node()
        self._seq = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @cython.annotation_typing(False)
    def add(self, pattern: str, handler: Any) -> None:
        """Register ``handler`` for ``pattern`` (the same pair twice is kept once)."""
        pattern = _exact_topic(pattern)
        levels, captures = parse_pattern(pattern)
        hashed = levels[-1] == "#"
        node = self._root
        for level in levels[:-1] if hashed else levels:
            if level == "+":
                if node.plus is None:
                    node.plus = _Node(node.depth + 1)
                node = node.plus
            else:
                child = node.children.get(level)
                if child is None:
                    child = _Node(node.depth + 1)
                    node.add_child(level, child)
                node = child
        target = node.hash_entries if hashed else node.entries
        for existing in target:
            same = existing.handler is handler or existing.handler == handler
            if same and existing.pattern == pattern:
                return
        self._seq += 1
        self._size += 1
        target.append(_Entry(handler, pattern, self._seq, captures))

    @cython.annotation_typing(False)
    def remove(self, pattern: str, handler: Any = None) -> int:
        """Unregister ``handler`` (all when None) from ``pattern``; how many went."""
        pattern = _exact_topic(pattern)
        levels, _ = parse_pattern(pattern)
        hashed = levels[-1] == "#"
        node = self._root
        for level in levels[:-1] if hashed else levels:
            node = node.plus if level == "+" else node.children.get(level)
            if node is None:
                return 0
        target = node.hash_entries if hashed else node.entries
        kept = [
            e
            for e in target
            if e.pattern != pattern
            or (
                handler is not None
                and not (e.handler is handler or e.handler == handler)
            )
        ]
        removed = len(target) - len(kept)
        target[:] = kept
        self._size -= removed
        return removed

    @cython.annotation_typing(False)
    def match(self, topic: str) -> list[tuple[Any, Any]]:
        """``[(handler, params), ...]`` for every pattern matching ``topic``, in
        registration order; ``params`` maps ``{var}`` names to their levels
        (read-only ``NO_PARAMS`` when the pattern has none)."""
        if cython.compiled:
            return _match_spans(self._root, _exact_topic(topic))
        else:
            return _match(self._root, _exact_topic(topic))


@cython.cfunc
def _exact_topic(topic: object) -> str:
    if type(topic) is str:
        return topic  # type: ignore[return-value]
    if isinstance(topic, str):
        return str.__str__(topic)
    raise TypeError(f"a topic must be a str, got {type(topic).__name__}")


@cython.cfunc
def _match(root: _Node, topic: str) -> list:
    levels: list = topic.split("/")
    count: cython.Py_ssize_t = len(levels)
    shielded: cython.bint = topic.startswith("$")  # no leading wildcard for $-topics
    found: list = []
    # PERF(router-*): a preallocated stack of nodes (each knows its depth): no
    # recursion, no per-step allocation, no list growth for usual depths.
    stack: list = [None] * 16
    stack[0] = root
    top: cython.Py_ssize_t = 1
    node: _Node
    index: cython.Py_ssize_t
    while top:
        top -= 1
        node = stack[top]
        index = node.depth
        if node.hash_entries and not (shielded and index == 0):
            found.extend(node.hash_entries)
        if index == count:
            if node.entries:
                found.extend(node.entries)
            continue
        child = node.children.get(levels[index])
        if child is not None:
            top = _push(stack, top, child)
        if node.plus is not None and not (shielded and index == 0):
            top = _push(stack, top, node.plus)
    return _results(found, levels)


@cython.cfunc
def _match_spans(root: _Node, topic: str) -> list:
    """Compiled fast path: levels as (start, end) spans of ``topic``; small
    child sets compared in place (no substring, no hash), a C array stack."""
    if cython.compiled:
        starts = cython.declare(cython.Py_ssize_t[65])
        ends = cython.declare(cython.Py_ssize_t[65])
        stack = cython.declare(cython.pointer(PyObject)[131])
        length: cython.Py_ssize_t = len(topic)
        count: cython.Py_ssize_t = 0
        i: cython.Py_ssize_t
        ch: cython.Py_UCS4
        starts[0] = 0
        for i in range(length):
            ch = topic[i]
            if ch == "/":
                if count + 1 >= MAX_LEVELS:
                    return _match(root, topic)  # very deep topic: the generic path
                ends[count] = i
                count += 1
                starts[count] = i + 1
        ends[count] = length
        count += 1
        shielded: cython.bint = length > 0 and topic[0] == "$"
        # PERF(router-*): matched entries as borrowed pointers in a C array (the
        # trie owns them and nothing here can run Python code that mutates it).
        hits = cython.declare(cython.pointer(PyObject)[32])  # MAX_HITS
        nhits: cython.Py_ssize_t = 0
        entries: list
        top: cython.Py_ssize_t = 1
        stack[0] = cython.cast(cython.pointer(PyObject), root)
        node: _Node
        index: cython.Py_ssize_t
        k: cython.Py_ssize_t
        key: str
        key_or_none: object
        child: object
        _probe: cython.Py_ssize_t
        while top:
            top -= 1
            node = cython.cast(_Node, stack[top])
            index = node.depth
            if node.hash_entries and not (shielded and index == 0):
                entries = node.hash_entries
                if nhits + len(entries) > MAX_HITS:
                    return _match(root, topic)  # a crowd of handlers: generic path
                for k in range(len(entries)):
                    hits[nhits] = cython.cast(cython.pointer(PyObject), entries[k])
                    nhits += 1
            if index == count:
                if node.entries:
                    entries = node.entries
                    if nhits + len(entries) > MAX_HITS:
                        return _match(root, topic)
                    for k in range(len(entries)):
                        hits[nhits] = cython.cast(cython.pointer(PyObject), entries[k])
                        nhits += 1
                continue
            child = None
            if len(node.keys) <= SMALL_FANOUT:
                for k in range(len(node.keys)):
                    if _level_is(topic, node.keys[k], starts[index], ends[index]):
                        child = node.kids[k]
                        break
            else:
                k = _span_hash(topic, starts[index], ends[index]) & node.mask
                for _probe in range(node.mask + 1):
                    key_or_none = node.slot_keys[k]
                    if key_or_none is None:
                        break
                    key = cython.cast(str, key_or_none)
                    if _level_is(topic, key, starts[index], ends[index]):
                        child = node.slot_kids[k]
                        break
                    k = (k + 1) & node.mask
            if child is not None:
                stack[top] = cython.cast(cython.pointer(PyObject), child)
                top += 1
            if node.plus is not None and not (shielded and index == 0):
                stack[top] = cython.cast(cython.pointer(PyObject), node.plus)
                top += 1
        # insertion sort by registration order: the usual handful of hits
        current: _Entry
        j: cython.Py_ssize_t
        for i in range(1, nhits):
            current = cython.cast(_Entry, hits[i])
            j = i - 1
            while j >= 0 and cython.cast(_Entry, hits[j]).seq > current.seq:
                hits[j + 1] = hits[j]
                j -= 1
            hits[j + 1] = cython.cast(cython.pointer(PyObject), current)
        out: list = [None] * nhits
        for i in range(nhits):
            current = cython.cast(_Entry, hits[i])
            if current.fixed is not None:
                out[i] = current.fixed
            else:
                out[i] = (
                    current.handler,
                    {
                        name: topic[starts[pos] : ends[pos]]
                        for pos, name in current.captures
                    },
                )
        return out
    else:
        return _match(root, topic)


@cython.cfunc
@cython.inline
def _level_is(
    topic: str, key: str, start: cython.Py_ssize_t, end: cython.Py_ssize_t
) -> cython.bint:
    """``topic[start:end] == key`` without making the substring (compiled only)."""
    span: cython.Py_ssize_t = end - start
    return len(key) == span and (
        span == 0 or PyUnicode_Tailmatch(topic, key, start, end, -1) == 1
    )


@cython.cfunc
@cython.inline
def _span_hash(
    text: str, start: cython.Py_ssize_t, end: cython.Py_ssize_t
) -> cython.Py_ssize_t:
    """FNV-1a over the code points of ``text[start:end]`` (no substring made)."""
    h: cython.ulonglong = FNV_OFFSET
    i: cython.Py_ssize_t
    for i in range(start, end):
        h = ((h ^ ord(text[i])) * FNV_PRIME) & MASK64
    return cython.cast(cython.Py_ssize_t, (h ^ (h >> 29)) & 0x7FFFFFFFFFFFFFFF)


@cython.cfunc
@cython.inline
def _push(stack: list, top: cython.Py_ssize_t, node: object) -> cython.Py_ssize_t:
    if top < len(stack):
        stack[top] = node
    else:
        stack.append(node)
    return top + 1


@cython.cfunc
def _in_order(found: list) -> cython.void:
    """Sort entries by registration: insertion sort for the usual few."""
    size: cython.Py_ssize_t = len(found)
    if size > 16:
        found.sort(key=_seq_of)
        return
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    current: _Entry
    previous: _Entry
    for i in range(1, size):
        current = found[i]
        j = i - 1
        while j >= 0:
            previous = found[j]
            if previous.seq <= current.seq:
                break
            found[j + 1] = previous
            j -= 1
        found[j + 1] = current


@cython.cfunc
def _results(found: list, levels: Any) -> list:
    size: cython.Py_ssize_t = len(found)
    if size > 1:
        _in_order(found)
    out: list = [None] * size
    i: cython.Py_ssize_t
    entry: _Entry
    for i in range(size):
        entry = found[i]
        if entry.fixed is not None:
            out[i] = entry.fixed
        else:
            out[i] = (
                entry.handler,
                {name: levels[pos] for pos, name in entry.captures},
            )
    return out


def _seq_of(entry: Any) -> int:
    return entry.seq  # type: ignore[no-any-return]
