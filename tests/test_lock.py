"""The lock files pin every package the coach and its tests need, each with its checksums."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)")


def pins(lock: Path) -> dict[str, tuple[str, int]]:
    """Each pinned package's version and how many checksums it carries."""
    found: dict[str, tuple[str, int]] = {}
    name = ""
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match[1])
            found[name] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
    return found


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = list(project["project"]["dependencies"])
    if extra:
        wanted += project["project"]["optional-dependencies"][extra]
    return [Requirement(text) for text in wanted]


@pytest.mark.parametrize(
    ("lock", "extra"), [("requirements-lock.txt", None), ("requirements-test-lock.txt", "test")]
)
def test_every_declared_package_is_pinned_within_its_bounds_with_checksums(
    lock: str, extra: str | None
) -> None:
    pinned = pins(ROOT / lock)
    for requirement in declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in {lock}; update it as the README says"
        version = pinned[name][0]
        assert requirement.specifier.contains(version, prereleases=True), f"{lock}: {name}=={version}"
    assert all(hashes for _, hashes in pinned.values()), f"{lock}: a pin without checksums"


def test_what_builds_the_coach_is_locked_too() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = pins(ROOT / "requirements-build-lock.txt")
    for text in project["build-system"]["requires"]:
        requirement = Requirement(text)
        version, hashes = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version) and hashes


def test_the_coach_gets_the_same_versions_with_or_without_the_test_tools() -> None:
    runtime, test = pins(ROOT / "requirements-lock.txt"), pins(ROOT / "requirements-test-lock.txt")
    assert {name: test[name][0] for name in runtime} == {name: pin[0] for name, pin in runtime.items()}


def test_the_private_interfaces_the_code_reaches_into_are_bounded() -> None:
    bounded = {canonicalize_name(r.name): r.specifier for r in declared(None)}
    assert bounded["pyttsx3"] == Requirement("pyttsx3>=2.99,<2.100").specifier
    assert bounded["pocketsphinx"] == Requirement("pocketsphinx>=5,<6").specifier
    assert "<0.6" in str(bounded["sounddevice"])
