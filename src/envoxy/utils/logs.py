"""``Log``: upstream envoxy's logger API, writing JSON lines (or pretty text on a TTY).

Levels keep upstream's names and values (``Log.DEBUG == b"\\x07"``...). A call
below the current level costs one integer comparison; nothing walks the stack.
Each enabled call writes one line to stderr (uWSGI collects it there):
``{"version":"1.1","host":...,"short_message":...,"timestamp":...,"level":7,...}``.
The level, format and ``exec`` name come from envoxy.json (``log.level``,
``log.format``, ``boot[0].name``) when Config loads, or from ``configure()``.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any, TextIO

import orjson

from envoxy.utils.redact import redact

__all__ = ["LEVELS_BY_NAME", "Log", "LogStyle", "configure", "level_number", "log"]

_LEVEL_NAMES = (
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
    "trace",
    "verbose",
)
DEFAULT_LEVEL = 4  # warning: errors are never silent out of the box


class LogStyle:
    """ANSI styling helpers (``Log.style.apply(text, Log.style.BLUE_FG)``)."""

    RESET = "0"
    BOLD = "1"
    UNDERLINE = "4"
    BLACK_FG, RED_FG, GREEN_FG, YELLOW_FG = "30", "31", "32", "33"
    BLUE_FG, MAGENTA_FG, CYAN_FG, WHITE_FG = "34", "35", "36", "37"
    DEFAULT_FG = "39"
    BRIGHT_BLACK_FG, BRIGHT_RED_FG, BRIGHT_GREEN_FG = "90", "91", "92"
    BRIGHT_YELLOW_FG, BRIGHT_BLUE_FG, BRIGHT_MAGENTA_FG = "93", "94", "95"
    BRIGHT_CYAN_FG, BRIGHT_WHITE_FG = "96", "97"
    BLACK_BG, RED_BG, GREEN_BG, YELLOW_BG = "40", "41", "42", "43"
    BLUE_BG, MAGENTA_BG, CYAN_BG, WHITE_BG = "44", "45", "46", "47"
    DEFAULT_BG = "49"
    BRIGHT_BLACK_BG, BRIGHT_RED_BG, BRIGHT_GREEN_BG = "100", "101", "102"
    BRIGHT_YELLOW_BG, BRIGHT_BLUE_BG, BRIGHT_MAGENTA_BG = "103", "104", "105"
    BRIGHT_CYAN_BG, BRIGHT_WHITE_BG = "106", "107"
    ERROR = "4;35"
    WARNING = "33"
    INFO = "36"
    SUCCESS = "32"

    @staticmethod
    def generate(styles: str | list[str] | tuple[str, ...]) -> str:
        codes = styles if isinstance(styles, str) else ";".join(styles)
        return f"\033[{codes}m"

    @classmethod
    def apply(
        cls, text: Any, styles: str | list[str] | tuple[str, ...] = DEFAULT_FG
    ) -> str:
        return f"{cls.generate(styles)}{text}{cls.generate(cls.RESET)}"


_PRETTY_COLOURS = {0: "1;31", 1: "1;31", 2: "31", 3: "31", 4: "33", 5: "36", 6: "32"}


class _State:
    """Where and how lines go; ``level`` is read on every call."""

    level: int = DEFAULT_LEVEL
    pretty: bool = False
    stream: TextIO | None = None  # None: sys.stderr at write time
    exec_name: str | None = None
    host: str = ""
    pid: int = 0


_state = _State()


#: level names as envoxyd's documented config writes them (``"INFO"``), any case
LEVELS_BY_NAME = {
    **{name: number for number, name in enumerate(_LEVEL_NAMES)},
    "warn": 4,
}


def level_number(level: Any) -> int:
    """``level`` (0-9, ``b"\x07"``, ``"7"``, ``"DEBUG"``) as 0-9;
    ``ValueError`` otherwise."""
    number = _level_number(level)
    if not 0 <= number <= 9:
        raise ValueError(f"log level out of range 0-9: {level!r}")
    return number


def _level_number(level: Any) -> int:
    if isinstance(level, str) and level.strip().lower() in LEVELS_BY_NAME:
        return LEVELS_BY_NAME[level.strip().lower()]
    if isinstance(level, bool):
        raise ValueError(f"not a log level: {level!r}")
    if isinstance(level, (bytes, bytearray)):
        if len(level) == 1:
            value = level[0]
            # b"3" from `--set log-level=3` means 3, not 0x33.
            return value - 48 if 48 <= value <= 57 else value
        return int(level.decode("ascii"))
    return int(level)


def _initial_level() -> int:
    raw = os.environ.get("ENVOXY_LOG__LEVEL")
    try:
        return max(0, min(9, _level_number(raw))) if raw else DEFAULT_LEVEL
    except ValueError:
        return DEFAULT_LEVEL


_state.level = _initial_level()


def configure(
    level: Any = None,
    fmt: str | None = None,
    exec_name: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Set the level (0-9, ``b"\\x07"``, ``"7"``), the format and the ``exec`` field."""
    if level is not None:
        _state.level = max(0, min(9, _level_number(level)))
    if stream is not None:
        _state.stream = stream
    if fmt is not None:
        if fmt == "auto":
            target = _state.stream or sys.stderr
            _state.pretty = bool(getattr(target, "isatty", lambda: False)())
        else:
            _state.pretty = fmt in ("pretty", "text")
    if exec_name is not None:
        _state.exec_name = exec_name


def _exec_name() -> str:
    if _state.exec_name is None:
        import multiprocessing

        _state.exec_name = multiprocessing.current_process().name
    return _state.exec_name


def _format_json(text: str, level: int, fields: dict[str, Any] | None = None) -> str:
    if not _state.host or _state.pid != os.getpid():
        _state.host = socket.gethostname()
        _state.pid = os.getpid()
    record = {
        "version": "1.1",
        "host": _state.host,
        "source": _state.host,
        "short_message": text,
        "timestamp": round(time.time(), 3),
        "level": level,
        "level_name": _LEVEL_NAMES[level],
        "pid": _state.pid,
        "exec": _exec_name(),
    }
    if fields:
        record.update(fields)
    return orjson.dumps(record).decode("utf-8")


def _format_pretty(text: str, level: int) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    name = _LEVEL_NAMES[level].upper()
    colour = _PRETTY_COLOURS.get(level)
    label = LogStyle.apply(f"{name:<9}", colour) if colour else f"{name:<9}"
    return f"{stamp} {label} {text}"


def _as_text(text: Any) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", "replace")
    return str(text)


_stdout: TextIO | None = None


def stdout_stream() -> TextIO:
    """File descriptor 1 itself, line-buffered: inside uWSGI workers Python's
    ``sys.stdout`` is descriptor 2, so "standard output" means this."""
    global _stdout
    if _stdout is None:
        _stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    return _stdout


def _write(line: str) -> None:
    stream = _state.stream or sys.stderr
    try:
        stream.write(line + "\n")
        stream.flush()
    except (OSError, ValueError):
        # A closed or broken stream must never take the caller down with it.
        return


def _emit(level: int, text: Any, max_lines: int | None) -> None:
    message = redact(_as_text(text))  # no credentials in logs, whatever the text
    if max_lines is not None:
        message = Log.truncate_text(message, max_lines)
    if _state.pretty:
        _write(_format_pretty(message, level))
    else:
        _write(_format_json(message, level))


class Log:
    """Leveled logging with upstream envoxy's names; also exported as ``log``."""

    EMERGENCY = b"\x00"
    ALERT = b"\x01"
    CRITICAL = b"\x02"
    ERROR = b"\x03"
    WARNING = b"\x04"
    NOTICE = b"\x05"
    INFO = b"\x06"
    DEBUG = b"\x07"
    TRACE = b"\x08"
    VERBOSE = b"\x09"
    DEFAULT = bytes([DEFAULT_LEVEL])
    FORMAT = "json"

    style = LogStyle

    # PERF(log-disabled): each method starts with one comparison on an int.
    @staticmethod
    def emergency(text: Any, max_lines: int | None = None) -> None:
        _emit(0, text, max_lines)

    @staticmethod
    def alert(text: Any, max_lines: int | None = None) -> None:
        if _state.level >= 1:
            _emit(1, text, max_lines)

    @staticmethod
    def critical(text: Any, max_lines: int | None = None) -> None:
        if _state.level >= 2:
            _emit(2, text, max_lines)

    @staticmethod
    def error(text: Any, max_lines: int | None = None) -> None:
        if _state.level >= 3:
            _emit(3, text, max_lines)

    @staticmethod
    def warning(text: Any, max_lines: int | None = None) -> None:
        if _state.level >= 4:
            _emit(4, text, max_lines)

    @staticmethod
    def notice(text: Any, max_lines: int | None = 100) -> None:
        if _state.level >= 5:
            _emit(5, text, max_lines)

    @staticmethod
    def info(text: Any, max_lines: int | None = 100) -> None:
        if _state.level >= 6:
            _emit(6, text, max_lines)

    @staticmethod
    def access(method: str, path: str, status: int, duration_ms: float) -> None:
        """One served request at INFO: in JSON, ``method``, ``path``, ``status``
        and ``duration_ms`` are fields of their own."""
        if _state.level >= 6:
            text = f"{method} {path} {status} {duration_ms:.2f}ms"
            fields = {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 3),
            }
            if _state.pretty:
                _write(_format_pretty(text, 6))
            else:
                _write(_format_json(text, 6, fields))

    @staticmethod
    def debug(text: Any, max_lines: int | None = 100) -> None:
        if _state.level >= 7:
            _emit(7, text, max_lines)

    @staticmethod
    def trace(text: Any, max_lines: int | None = 100) -> None:
        if _state.level >= 8:
            _emit(8, text, max_lines)

    @staticmethod
    def verbose(text: Any, prefix: bool = True, max_lines: int | None = None) -> None:
        if _state.level >= 9:
            _emit(9, text, max_lines)

    @staticmethod
    def system(text: Any, max_lines: int | None = None) -> None:
        """Raw text, whatever the level (boot banners, registration lines)."""
        message = _as_text(text)
        _write(Log.truncate_text(message, max_lines) if max_lines else message)

    @staticmethod
    def log_level() -> bytes:
        return bytes([_state.level])

    @staticmethod
    def is_gte_log_level(log_level: Any) -> bool:
        """True when messages of ``log_level`` (bytes or int) are written."""
        return _state.level >= _level_number(log_level)

    @staticmethod
    def is_format_log_pretty() -> bool:
        return _state.pretty

    @staticmethod
    def truncate_text(text: Any, max_lines: int | None = None) -> Any:
        """Keep the first and last ``max_lines // 2`` lines around a marker."""
        if not max_lines:
            return text
        lines = text if isinstance(text, list) else str(text).split("\n")
        if len(lines) <= max_lines:
            return text
        half = max_lines // 2
        return " ".join(
            [*lines[:half], "--- truncated ---", *lines[len(lines) - half :]]
        )

    @staticmethod
    def format_log(text: Any, level: Any, caller: Any = None) -> str:
        """The line ``Log`` would write for ``text`` at ``level``; ``caller`` unused."""
        number = _level_number(level)
        message = _as_text(text)
        return (
            _format_pretty(message, number)
            if _state.pretty
            else _format_json(message, number)
        )


log = Log
