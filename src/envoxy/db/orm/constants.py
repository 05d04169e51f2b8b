"""The table prefix of this service: ``aux_`` or ``aux_<namespace>_``.

Read once at import from ``ENVOXY_SERVICE_NAMESPACE`` (lower-cased, every
character outside ``[a-z0-9_]`` replaced by ``_``), as upstream does.
"""

from __future__ import annotations

import os
import re

__all__ = ["AUX_PREFIX", "AUX_TABLE_PREFIX", "SERVICE_NAMESPACE", "namespace_prefix"]

AUX_PREFIX = "aux_"


def namespace_prefix(namespace: str | None) -> str:
    """``"My-Svc"`` -> ``"aux_my_svc_"``; empty -> ``"aux_"``."""
    cleaned = re.sub(r"[^a-z0-9_]", "_", (namespace or "").strip().lower())
    return f"{AUX_PREFIX}{cleaned}_" if cleaned else AUX_PREFIX


SERVICE_NAMESPACE = os.getenv("ENVOXY_SERVICE_NAMESPACE", "").strip()
AUX_TABLE_PREFIX = namespace_prefix(SERVICE_NAMESPACE)
