"""safe_join keeps a path variable inside its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from envoxy.exceptions import ValidationException
from envoxy.routing import CONVERTERS, NoMatch
from envoxy.utils.paths import safe_join


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    base = tmp_path / "public"
    (base / "docs").mkdir(parents=True)
    (base / "docs" / "a.txt").write_text("a")
    (tmp_path / "secret.txt").write_text("s")
    (base / "escape").symlink_to(tmp_path)
    return base


def test_inside_the_folder_is_fine(folder: Path) -> None:
    assert safe_join(folder, "docs/a.txt") == (folder / "docs" / "a.txt").resolve()
    assert safe_join(folder, "docs", "./a.txt").read_text() == "a"
    assert safe_join(folder, "docs/../docs/a.txt").name == "a.txt"


@pytest.mark.parametrize(
    "rest",
    [
        "../secret.txt",
        "docs/../../secret.txt",
        "/etc/passwd",
        "escape/secret.txt",
        "a\x00b",
        "..",
    ],
)
def test_outside_the_folder_is_a_404(folder: Path, rest: str) -> None:
    with pytest.raises(ValidationException) as refused:
        safe_join(folder, rest)
    assert refused.value.status == 404


@pytest.mark.parametrize(
    "text",
    [
        "{7f6e8c3a-1b2c-4d5e-8f90-123456789abc}",
        "urn:uuid:7f6e8c3a-1b2c-4d5e-8f90-123456789abc",
        "7f6e8c3a1b2c4d5e8f90123456789abc",
        "7f6e8c3a-1b2c-4d5e-8f90-123456789abc\n",
        " 7f6e8c3a-1b2c-4d5e-8f90-123456789abc",
    ],
)
def test_uuid_variables_take_the_hyphenated_form_only(text: str) -> None:
    """12 (also): {...}, urn:uuid: and undashed hex were accepted."""
    with pytest.raises(NoMatch):
        CONVERTERS["uuid"](text)
    assert str(CONVERTERS["uuid"]("7F6E8C3A-1B2C-4D5E-8F90-123456789ABC")) == (
        "7f6e8c3a-1b2c-4d5e-8f90-123456789abc"
    )
