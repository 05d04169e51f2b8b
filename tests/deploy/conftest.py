"""The built wheels installed as the image lays them out, once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.deploy.image import Image, Layers, build_wheels, namespaces_usable


@pytest.fixture(scope="session")
def image() -> Image:
    return Image.from_dockerfile()


@pytest.fixture(scope="session")
def layers(tmp_path_factory: pytest.TempPathFactory) -> Layers:
    why = namespaces_usable()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the container tests: {why}")
        pytest.skip(why)
    folder: Path = tmp_path_factory.mktemp("image")
    built = Layers(folder)
    built.install(build_wheels(folder / "wheels"))
    return built
