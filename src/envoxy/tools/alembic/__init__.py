"""``envoxy-alembic``: Alembic with envoxy's environment packaged in."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["alembic_config_path", "packaged_script_dir"]


def alembic_config_path() -> str:
    """Absolute path of the packaged ``alembic.ini``."""
    return str(Path(str(files("envoxy.tools.alembic").joinpath("alembic.ini"))))


def packaged_script_dir() -> Path:
    """The packaged script directory (``env.py``, ``script.py.mako``)."""
    return Path(str(files("envoxy.tools.alembic").joinpath("alembic")))
