"""``envoxy-alembic``: Alembic's command line with envoxy's environment.

Revisions go to the service's own directory (``SERVICE_ALEMBIC_DIR``, default
``./migrations``), which is created with a small env.py on first use. Any
Alembic command and option works: ``envoxy-alembic revision --autogenerate -m
"add devices"``, ``envoxy-alembic upgrade head``, ``envoxy-alembic current``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from envoxy.tools.alembic import alembic_config_path, packaged_script_dir
from envoxy.tools.alembic.settings import AlembicSetupError, load_settings

__all__ = ["ENV_PROXY", "main", "prepare_script_dir"]

ENV_PROXY = (
    '"""Alembic environment: envoxy\'s, shared by every envoxy service."""\n\n'
    "from envoxy.tools.alembic.environment import run_migrations\n\n"
    "run_migrations()\n"
)


def prepare_script_dir(script_dir: Path) -> None:
    """Create ``script_dir`` with versions/, env.py and script.py.mako if missing."""
    (script_dir / "versions").mkdir(parents=True, exist_ok=True)
    env = script_dir / "env.py"
    if not env.exists():
        env.write_text(ENV_PROXY, encoding="utf-8")
    template = script_dir / "script.py.mako"
    if not template.exists():
        shutil.copyfile(packaged_script_dir() / "script.py.mako", template)


def main(argv: list[str] | None = None) -> int:
    """Run one Alembic command; 2 with a clear message when misconfigured."""
    from alembic.config import CommandLine, Config

    args = sys.argv[1:] if argv is None else list(argv)
    command_line = CommandLine(prog="envoxy-alembic")
    options = command_line.parser.parse_args(args)
    if not hasattr(options, "cmd"):
        command_line.parser.print_help()
        return 2
    # The ORM reads its namespace from ENVOXY_SERVICE_NAMESPACE when it is first
    # imported; SERVICE_NAMESPACE is accepted here too, so copy it over first.
    fallback = os.environ.get("SERVICE_NAMESPACE", "").strip()
    if fallback and not os.environ.get("ENVOXY_SERVICE_NAMESPACE", "").strip():
        os.environ["ENVOXY_SERVICE_NAMESPACE"] = fallback
    try:
        settings = load_settings()
    except AlembicSetupError as exc:
        print(f"envoxy-alembic: {exc}", file=sys.stderr)
        return 2
    prepare_script_dir(settings.script_dir)
    config = Config(alembic_config_path(), cmd_opts=options)
    config.set_main_option("script_location", str(settings.script_dir))
    config.set_main_option("sqlalchemy.url", settings.safe_url.replace("%", "%%"))
    try:
        command_line.run_cmd(config, options)
    except AlembicSetupError as exc:
        print(f"envoxy-alembic: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # alembic's own "FAILED: ..." exits with -1
        code = exc.code if isinstance(exc.code, int) else 1
        return code if code >= 0 else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
