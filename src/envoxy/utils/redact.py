"""Credentials out of anything envoxy prints: boot errors, log lines.

A password reaches a message through a value that is echoed back (a config
entry written as a URL, a DSN in an exception's text). ``redact`` masks the
password of every ``scheme://user:password@host`` URL and the value of
``password=``/``passwd=``/``secret``/``access_token`` pairs (libpq keyword
DSNs, query strings, a config object's repr); what is left is still enough
to tell which entry is meant.
"""

from __future__ import annotations

import re

__all__ = ["redact"]

_URL_PASSWORD = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@'\"]*):[^@\s/'\"]*@"
)
_KEY_PASSWORD = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|secret|client_secret|access_token)"
    r"['\"]?\s*[=:]\s*)(?P<quote>['\"]?)[^\s&;,'\"}]+(?P=quote)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with URL passwords and ``password=`` values as ``***``."""
    # PERF: most messages hold neither shape; two substring tests skip the regexes
    if "@" in text:
        text = _URL_PASSWORD.sub(r"\g<head>:***@", text)
    if "=" in text or ":" in text:
        lowered = text.lower()
        if any(word in lowered for word in ("pass", "pwd", "secret", "token")):
            text = _KEY_PASSWORD.sub(r"\g<key>\g<quote>***\g<quote>", text)
    return text
