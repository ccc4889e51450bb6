"""The package builds without a warning, carries its licence, and the lock file pins what it needs."""

import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
# pip's complaint about a configured index folder this machine lacks is not the build's.
_ENVIRONMENT_NOISE = re.compile(r"^WARNING: Location '.*' is ignored")


def _sources(target: Path) -> Path:
    """What a clean clone has to build from (a copy: a build writes next to its sources)."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "src", target / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    return target


def test_the_wheel_builds_without_warnings_and_declares_its_licence(tmp_path: Path) -> None:
    sources = _sources(tmp_path / "sources")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(sources),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    warnings = [
        line
        for line in (built.stdout + built.stderr).splitlines()
        if re.search(r"warn|deprecat", line, re.IGNORECASE) and not _ENVIRONMENT_NOISE.match(line)
    ]
    assert warnings == []
    (wheel,) = (tmp_path / "dist").glob("opencat-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = (name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(archive.read(metadata_name).decode())
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert "opencat/py.typed" in names
    assert any(name.startswith("opencat/db/migrations/versions/") for name in names)
    requires = [Requirement(line).name.lower() for line in metadata.get_all("Requires-Dist")]
    assert "unidecode" not in requires  # GPL: see domain/transliteration.py


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_the_lock_pins_every_dependency_within_its_bounds() -> None:
    # Every requirement of pyproject.toml, extras included: a dependency added without `make lock`
    # would otherwise install unpinned.
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements += [Requirement(text) for text in extra]
    pins = _pins()
    outside = {
        str(requirement): pins.get(canonicalize_name(requirement.name))
        for requirement in requirements
        if pins.get(canonicalize_name(requirement.name)) not in requirement.specifier
        or canonicalize_name(requirement.name) not in pins
    }
    assert outside == {}
