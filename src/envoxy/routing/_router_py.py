"""The router: a trie over ``/``-separated levels, for MQTT topics and for
HTTP and ZeroMQ paths alike (the routing hot path).

Reference implementation, also compiled from this very file as
``envoxy.routing._router_c`` (Cython pure mode); tests/speedups proves both
agree with each other and with paho's ``topic_matches_sub``.

Patterns follow MQTT filters: ``+`` is one level, a final ``#`` is any number
of levels including none (``a/#`` matches ``a``), and topics starting with
``$`` are not matched by a leading ``+`` or ``#``. A ``$share/<group>/``
prefix is stripped. Matching walks the trie level by level, so its cost
depends on the topic, not on how many patterns are registered.

Variables: ``add(pattern, target, captures)`` takes the capture plan of
envoxy.routing.grammar, ``((level index, name, kind, rest), ...)``: a match
binds each name to its level (``rest``: to the rest of the path, slashes
included) converted by ``kind`` (``KINDS``: the raw string, a non-empty
string, ASCII digits as an int, a float, a hyphenated UUID); a level that
does not convert means that pattern does not match this path. Without a
plan, ``{name}`` levels of the pattern are captured as raw strings. The
conversions are this module's (``convert_level``), compiled with it: the
grammar's converters call them too, so there is one definition of each.
"""

from __future__ import annotations

try:
    import cython
except ModuleNotFoundError:  # pure install without Cython: same module, uncompiled
    from envoxy import _cython_shim as cython  # type: ignore[no-redef]

import uuid
from types import MappingProxyType
from typing import Any

if cython.compiled:
    from cython.cimports.cpython.object import PyObject  # type: ignore[import-not-found]
    from cython.cimports.cpython.unicode import (  # type: ignore[import-not-found]
        PyUnicode_Tailmatch,
    )

__all__ = ["KINDS", "NO_MATCH", "NO_PARAMS", "Router", "convert_level", "parse_pattern"]

SHARE_PREFIX = "$share/"
#: The params of a match without ``{var}`` levels (shared, read-only).
NO_PARAMS: Any = MappingProxyType({})
#: ``convert_level``'s answer for a level that does not convert.
NO_MATCH: Any = object()
#: ``{name:type}`` -> the conversion kind in a capture plan
KINDS: Any = MappingProxyType(
    {"raw": 0, "str": 1, "string": 1, "path": 1, "int": 2, "float": 3, "uuid": 4}
)
#: Python's int-from-string limit: longer digit strings never convert
MAX_INT_DIGITS = cython.declare(cython.Py_ssize_t, 4300)

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


@cython.annotation_typing(False)
def convert_level(kind: int, text: str) -> Any:
    """``text`` converted by ``kind`` (``KINDS``), or ``NO_MATCH``."""
    return _convert(kind, _exact_topic(text))


@cython.cfunc
def _convert(kind: cython.int, text: str) -> object:
    # PERF(http-request): the usual kinds checked character by character in C
    length: cython.Py_ssize_t = len(text)
    i: cython.Py_ssize_t
    ch: cython.Py_UCS4
    if kind == 0:
        return text
    if kind == 1:
        return text if length else NO_MATCH
    if kind == 2:
        if length == 0 or length > MAX_INT_DIGITS:
            return NO_MATCH
        for i in range(length):
            ch = text[i]
            if ch < "0" or ch > "9":
                return NO_MATCH
        return int(text)
    if kind == 3:
        return _as_float(text, length)
    if kind == 4:
        return _as_uuid(text, length)
    return NO_MATCH


@cython.cfunc
def _as_float(text: str, length: cython.Py_ssize_t) -> object:
    """Digits, one dot, digits (``float()`` would take ``1e5``, ``nan``...)."""
    dot: cython.Py_ssize_t = -1
    i: cython.Py_ssize_t
    ch: cython.Py_UCS4
    for i in range(length):
        ch = text[i]
        if ch == ".":
            if dot >= 0:
                return NO_MATCH
            dot = i
        elif ch < "0" or ch > "9":
            return NO_MATCH
    if dot <= 0 or dot == length - 1:
        return NO_MATCH
    return float(text)


@cython.cfunc
def _as_uuid(text: str, length: cython.Py_ssize_t) -> object:
    """The hyphenated 8-4-4-4-12 form only, hex in either case (RFC 9562)."""
    if length != 36:
        return NO_MATCH
    i: cython.Py_ssize_t
    ch: cython.Py_UCS4
    for i in range(36):
        ch = text[i]
        if i == 8 or i == 13 or i == 18 or i == 23:
            if ch != "-":
                return NO_MATCH
        elif not (("0" <= ch <= "9") or ("a" <= ch <= "f") or ("A" <= ch <= "F")):
            return NO_MATCH
    return uuid.UUID(text)


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
        # PERF(router-*): a match without captures returns this pair, made at
        # its first match (PERF(mqtt-subscribe-100000): not one per add)
        self.fixed = None


#: the containers of a node that has none yet (never written to)
_NO_CHILDREN: dict = {}
_NO_ENTRIES: list = []


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
        self._empty(depth)

    @cython.cfunc
    def _empty(self, depth: cython.Py_ssize_t) -> cython.void:
        # PERF(mqtt-subscribe-100000): most nodes are leaves; they share the
        # empty containers below until a child or an entry comes (add_child
        # and Router.add replace them, nothing else writes to them)
        self.children = _NO_CHILDREN
        self.plus = None
        self.hash_entries = _NO_ENTRIES
        self.entries = _NO_ENTRIES
        self.depth = depth  # the topic level this node consumes next
        # PERF(router-*): the same children as lists, scanned without hashing
        # while the fan-out is small.
        self.keys = _NO_ENTRIES
        self.kids = _NO_ENTRIES
        # PERF(router-1000, router-100000): past SMALL_FANOUT, an open-addressed
        # table hashed over characters, so a level is looked up in place
        # (no substring object) -- compiled builds only.
        self.slot_keys = _NO_ENTRIES
        self.slot_kids = _NO_ENTRIES
        self.mask = 0

    @cython.ccall
    def add_child(self, key: str, child: _Node) -> None:
        """Link ``child`` under ``key`` in every index the match paths use."""
        if self.keys is _NO_ENTRIES:
            self.keys, self.kids = [], []
        self.keys.append(key)
        self.kids.append(child)
        # PERF(mqtt-subscribe-100000): compiled, children are found by
        # scanning keys or probing the slot table (see _child): no dict
        if not cython.compiled:
            if self.children is _NO_CHILDREN:
                self.children = {}
            self.children[key] = child
        elif len(self.keys) > SMALL_FANOUT:
            if 2 * len(self.keys) > len(self.slot_keys):
                self._rebuild_slots()
            else:
                self._place(key, child)

    @cython.cfunc
    def _rebuild_slots(self) -> cython.void:
        capacity: cython.Py_ssize_t = 16
        while capacity < 2 * len(self.keys):
            capacity *= 2
        self.slot_keys = [None] * capacity
        self.slot_kids = [None] * capacity
        self.mask = capacity - 1
        k: cython.Py_ssize_t
        for k in range(len(self.keys)):
            self._place(self.keys[k], self.kids[k])

    @cython.cfunc
    def _place(self, key: str, child: _Node) -> cython.void:
        slot: cython.Py_ssize_t = _span_hash(key, 0, len(key)) & self.mask
        while self.slot_keys[slot] is not None:  # load <= 1/2: a free slot exists
            slot = (slot + 1) & self.mask
        self.slot_keys[slot] = key
        self.slot_kids[slot] = child


@cython.cfunc
def _new_entry(
    handler: object, pattern: str, seq: cython.long, captures: tuple
) -> _Entry:
    """An entry (compiled: without a Python-level ``__init__`` call)."""
    if cython.compiled:
        entry: _Entry = _Entry.__new__(_Entry)
        entry.handler, entry.pattern, entry.seq = handler, pattern, seq
        entry.captures, entry.fixed = captures, None
        return entry
    return _Entry(handler, pattern, seq, captures)


@cython.cfunc
def _child(node: _Node, key: str) -> object:
    """The child of ``node`` under ``key``, or ``None``."""
    if not cython.compiled:
        return node.children.get(key)
    keys: list = node.keys
    k: cython.Py_ssize_t
    candidate: str
    if len(keys) <= SMALL_FANOUT:
        for k in range(len(keys)):
            candidate = keys[k]
            if candidate == key:
                return node.kids[k]
        return None
    slot: cython.Py_ssize_t = _span_hash(key, 0, len(key)) & node.mask
    probe: object
    while True:  # load <= 1/2: a free slot ends every probe
        probe = node.slot_keys[slot]
        if probe is None:
            return None
        candidate = cython.cast(str, probe)
        if candidate == key:
            return node.slot_kids[slot]
        slot = (slot + 1) & node.mask


@cython.cfunc
def _new_node(depth: cython.Py_ssize_t) -> _Node:
    """A node at ``depth`` (compiled: without a Python-level ``__init__`` call)."""
    if cython.compiled:
        node: _Node = _Node.__new__(_Node)
        node._empty(depth)
        return node
    return _Node(depth)


@cython.annotation_typing(False)
def parse_pattern(pattern: str) -> tuple[list[str], tuple[Any, ...]]:
    """Levels of ``pattern`` (``{var}`` levels become ``+``) and the captures
    ``((level index, name, 0, False), ...)`` (raw strings); ``ValueError``
    for a malformed filter."""
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
    if "{" not in text and "+" not in text and "#" not in text:
        return levels, ()  # PERF(mqtt-subscribe-100000): nothing to look at
    captures = []
    last = len(levels) - 1
    for index, level in enumerate(levels):
        if level.startswith("{") and level.endswith("}") and len(level) > 2:
            name = level[1:-1].partition(":")[0]
            if not name.isidentifier():
                raise ValueError(f"invalid variable {level!r} in {pattern!r}")
            captures.append((index, name, 0, False))
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
    def add(self, pattern: str, handler: Any, captures: Any = None) -> None:
        """Register ``handler`` for ``pattern`` (the same pair twice is kept
        once), with the capture plan ``captures`` (see the module docstring).
        With a plan, ``pattern`` is the grammar's (envoxy.routing.grammar),
        which validated it: it is only split (mqtt-subscribe-100000)."""
        pattern = _exact_topic(pattern)
        if captures is None:
            levels, captures = parse_pattern(pattern)
        elif "{" in pattern or pattern.startswith(SHARE_PREFIX):
            levels = parse_pattern(pattern)[0]
            captures = tuple(captures)
        else:
            levels = pattern.split("/")
            captures = tuple(captures)
        self._insert(levels, pattern, handler, captures)

    @cython.cfunc
    def _insert(
        self, levels: list, pattern: str, handler: object, captures: tuple
    ) -> cython.void:
        """Walk (and grow) the trie along ``levels``; add the entry at its end."""
        count: cython.Py_ssize_t = len(levels)
        hashed: cython.bint = levels[count - 1] == "#"
        if hashed:
            count -= 1
        node: _Node = self._root
        child: _Node
        level: str
        i: cython.Py_ssize_t
        for i in range(count):
            level = levels[i]
            if level == "+":
                if node.plus is None:
                    node.plus = _new_node(node.depth + 1)
                node = node.plus
                continue
            found: object = _child(node, level)
            if found is None:
                child = _new_node(node.depth + 1)
                node.add_child(level, child)
            else:
                child = cython.cast(_Node, found)
            node = child
        target: list = node.hash_entries if hashed else node.entries
        if target is _NO_ENTRIES:  # the node's first entry of this kind
            target = []
            if hashed:
                node.hash_entries = target
            else:
                node.entries = target
        existing: _Entry
        for existing in target:
            same = existing.handler is handler or existing.handler == handler
            if same and existing.pattern == pattern:
                return
        self._seq += 1
        self._size += 1
        target.append(_new_entry(handler, pattern, self._seq, captures))

    @cython.annotation_typing(False)
    def remove(self, pattern: str, handler: Any = None) -> int:
        """Unregister ``handler`` (all when None) from ``pattern``; how many went."""
        pattern = _exact_topic(pattern)
        levels, _ = parse_pattern(pattern)
        hashed = levels[-1] == "#"
        node = self._root
        for level in levels[:-1] if hashed else levels:
            node = node.plus if level == "+" else _child(node, level)
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
        if removed:
            target[:] = kept  # never the shared empty list: it lost nothing
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
        child = _child(node, levels[index])
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
        # strong references first: converting may run Python code (a UUID)
        found: list = [None] * nhits
        for i in range(nhits):
            found[i] = cython.cast(_Entry, hits[i])
        out: list = []
        pos: cython.Py_ssize_t
        value: object
        for i in range(nhits):
            current = found[i]
            if not current.captures:
                if current.fixed is None:
                    current.fixed = (current.handler, NO_PARAMS)
                out.append(current.fixed)
                continue
            params: dict = {}
            for capture in current.captures:
                pos = capture[0]
                if capture[3]:  # the rest of the path: one slice of the topic
                    value = topic[starts[pos] :] if pos < count else ""
                else:
                    value = topic[starts[pos] : ends[pos]]
                if capture[2]:
                    value = _convert(capture[2], value)
                    if value is NO_MATCH:
                        break
                params[capture[1]] = value
            else:
                out.append((current.handler, params))
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
    out: list = []
    pos: cython.Py_ssize_t
    entry: _Entry
    value: object
    for entry in found:
        if not entry.captures:
            if entry.fixed is None:
                entry.fixed = (entry.handler, NO_PARAMS)
            out.append(entry.fixed)
            continue
        params: dict = {}
        for capture in entry.captures:
            pos = capture[0]
            value = "/".join(levels[pos:]) if capture[3] else levels[pos]
            if capture[2]:
                value = _convert(capture[2], value)
                if value is NO_MATCH:
                    break
            params[capture[1]] = value
        else:
            out.append((entry.handler, params))
    return out


def _seq_of(entry: Any) -> int:
    return entry.seq  # type: ignore[no-any-return]
