"""Build of envoxy's compiled hot paths; metadata lives in pyproject.toml.

Each entry of CYTHON_MODULES compiles a pure-mode ``*_py.py`` file into its
``*_c`` twin. ``ENVOXY_NO_EXTENSIONS=1`` builds a pure wheel;
``ENVOXY_REQUIRE_EXTENSIONS=1`` turns a failed compile into a build error
(otherwise the build warns and ships the pure twins only).
"""

from __future__ import annotations

import glob
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

#: (compiled module name, pure-mode source it is compiled from)
CYTHON_MODULES: list[tuple[str, str]] = [
    ("envoxy.utils._encoder_c", "src/envoxy/utils/_encoder_py.py"),
    ("envoxy.db.orm._names_c", "src/envoxy/db/orm/_names_py.py"),
    ("envoxy.routing._router_c", "src/envoxy/routing/_router_py.py"),
    ("envoxy.zeromq._codec_c", "src/envoxy/zeromq/_codec_py.py"),
    ("envoxy.mqtt._wire_c", "src/envoxy/mqtt/_wire_py.py"),
]

# boundscheck/wraparound keep Cython's safe defaults: these modules are
# ordinary Python (negative indices, slices), where turning them off is
# undefined behaviour, not a speed-up.
COMPILER_DIRECTIVES = {
    "language_level": "3",
    "cdivision": True,
    "embedsignature": True,
}

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def _say(message: str) -> None:
    print(f"envoxy build: {message}", file=sys.stderr)


class OptionalBuildExt(build_ext):
    """A failed compile does not fail the install, unless extensions are required."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            self._failed(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._failed(exc, ext.name)

    def _failed(self, exc: Exception, name: str = "extensions") -> None:
        if _flag("ENVOXY_REQUIRE_EXTENSIONS"):
            raise exc
        _say(f"could not compile {name} ({exc}); the pure-Python twin will be used")


def _extensions() -> list[Extension]:
    if _flag("ENVOXY_NO_EXTENSIONS"):
        _say("ENVOXY_NO_EXTENSIONS is set: building a pure-Python package")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        if _flag("ENVOXY_REQUIRE_EXTENSIONS"):
            raise
        _say("Cython is not installed: building a pure-Python package")
        return []
    include_dirs = [os.path.abspath("csrc")]
    headers = sorted(glob.glob("csrc/*.h"))  # a changed header rebuilds
    extensions = [
        Extension(name, [source], include_dirs=include_dirs, depends=headers)
        for name, source in CYTHON_MODULES
    ]
    try:
        return cythonize(
            extensions,
            compiler_directives=COMPILER_DIRECTIVES,
            quiet=True,
        )
    except Exception as exc:
        if _flag("ENVOXY_REQUIRE_EXTENSIONS"):
            raise
        _say(f"cythonize failed ({exc}); building a pure-Python package")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
