"""``envoxy-cli``: scaffold a service, report what is installed.

``envoxy-cli --create-project --name NAME [--dir PARENT]`` writes a runnable
project (views, models, envoxy.json on embedded defaults, a migrations folder,
a test) into ``PARENT/<slug>``; ``envoxy-cli info`` prints versions and which
compiled modules are active.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import unicodedata
from collections.abc import Sequence
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from string import Template

__all__ = ["create_project", "info", "main", "slugify"]

#: template file -> where it goes in the project
FILES = {
    "envoxy.json.tmpl": "envoxy.json",
    "models.py.tmpl": "models.py",
    "views.py.tmpl": "views.py",
    "test_service.py.tmpl": "tests/test_service.py",
    "README.md.tmpl": "README.md",
}


def slugify(name: str) -> str:
    """``"Café Orders!"`` -> ``"cafe-orders"``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def create_project(name: str, parent: Path) -> Path:
    """Write the project; ``FileExistsError`` rather than overwrite anything."""
    slug = slugify(name)
    if not slug:
        raise ValueError(f"cannot make a project name out of {name!r}")
    target = parent / slug
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    values = {"name": name, "slug": slug, "slug_key": slug.replace("-", "_")}
    templates = resources.files("envoxy.tools") / "templates"
    for source, destination in FILES.items():
        text = Template((templates / source).read_text(encoding="utf-8"))
        path = target / destination
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.substitute(values), encoding="utf-8")
    (target / "migrations" / "versions").mkdir(parents=True)
    (target / "migrations" / "versions" / ".gitkeep").write_text("")
    return target


def _version_of(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def info() -> str:
    from envoxy import extension_status

    status = extension_status()
    compiled = ", ".join(
        f"{name}={'compiled' if on else 'pure'}" for name, on in status.items()
    )
    lines = [
        f"envoxy {_version_of('envoxy')}",
        f"envoxyd {_version_of('envoxyd')} (uWSGI: pyuwsgi {_version_of('pyuwsgi')})",
        f"Python {platform.python_version()} ({sys.executable})",
        f"hot paths: {compiled}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="envoxy-cli", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", nargs="?", choices=["info"], help="info: versions")
    parser.add_argument("-c", "--create-project", action="store_true")
    parser.add_argument("-n", "--name", help="the project's name")
    parser.add_argument("-d", "--dir", default=".", help="parent folder (default: .)")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(info())
        return 0
    if not args.create_project:
        parser.print_help()
        return 2
    if not args.name:
        parser.error("--create-project needs --name NAME")
    try:
        target = create_project(args.name, Path(args.dir))
    except (FileExistsError, ValueError) as exc:
        print(f"envoxy-cli: {exc}", file=sys.stderr)
        return 2
    print(f"created {target}")
    print(f"run it:  cd {target} && envoxyd --http :8080 --set conf=envoxy.json")
    print("test it: pytest tests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
