"""``safe_join``: a ``{rest:path}`` route variable joined to a folder, safely.

A path variable is the decoded request path, so ``/files/..%2F..%2Fetc/passwd``
arrives as ``../../etc/passwd`` and ``/files//etc/passwd`` as ``/etc/passwd``.
``safe_join`` resolves the result (symbolic links included) and refuses
anything that is not inside the folder with the 404 the client would get for
a file that does not exist: no answer tells an attacker what lies outside.
"""

from __future__ import annotations

import os
from pathlib import Path

from envoxy.exceptions import ValidationException

__all__ = ["safe_join"]


def _not_found() -> ValidationException:
    return ValidationException("Resource not found", code=404, status=404)


def safe_join(folder: str | os.PathLike[str], *parts: str) -> Path:
    """``folder / parts...`` resolved; ``ValidationException`` (404) when a
    part is absolute, holds a NUL, or the result leaves ``folder``."""
    root = Path(folder).resolve()
    for part in parts:
        if not isinstance(part, str) or "\x00" in part or os.path.isabs(part):
            raise _not_found()
    candidate = root.joinpath(*parts).resolve()
    if candidate != root and root not in candidate.parents:
        raise _not_found()
    return candidate
