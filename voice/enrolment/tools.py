"""CMUSphinx's adaptation tools (Debian sphinxtrain, sphinxbase-utils, pocketsphinx): found and run."""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from voice.errors import CoachError

log = logging.getLogger(__name__)

SPHINXTRAIN_DIRS = (Path("/usr/lib/sphinxtrain"), Path("/usr/local/libexec/sphinxtrain"))
"""Where Debian (and a source build) put sphinxtrain's programs, which are not on the PATH."""

TOOL_PACKAGES = {
    "sphinx_fe": "sphinxbase-utils",
    "pocketsphinx_mdef_convert": "pocketsphinx",
    "bw": "sphinxtrain",
    "mllr_solve": "sphinxtrain",
    "map_adapt": "sphinxtrain",
    "mk_s2sendump": "sphinxtrain",
}
"""Each program enrolment runs, and the Debian package that brings it."""

TOOL_SECONDS = 600.0
"""Longest any one tool may run (a few seconds is usual) before enrolment gives up."""


class ToolsMissing(CoachError):
    """An adaptation program is not installed."""


class ToolFailed(CoachError):
    """An adaptation program ran and failed."""


@dataclass(frozen=True)
class Tools:
    """Where each adaptation program is."""

    paths: dict[str, Path]
    """Program name to its executable."""

    def run(self, name: str, *args: str | Path) -> None:
        """Run one program; its failure becomes a one-line ToolFailed."""
        command = [str(self.paths[name]), *(str(arg) for arg in args)]
        log.debug("running %s", " ".join(command))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TOOL_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ToolFailed(f"{name} could not run: {error}") from None
        if done.returncode != 0:
            last = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()][-1:] or ["?"]
            raise ToolFailed(f"{name} failed (exit {done.returncode}): {last[0][:200]}")


def find_tool(name: str) -> Path | None:
    """The executable of one program: on the PATH, or in sphinxtrain's folder."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for folder in SPHINXTRAIN_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


def find_tools() -> Tools:
    """Every program enrolment needs, or one line naming the Debian packages to install."""
    paths = {name: find_tool(name) for name in TOOL_PACKAGES}
    missing = sorted({TOOL_PACKAGES[name] for name, path in paths.items() if path is None})
    if missing:
        raise ToolsMissing(
            "enrolment needs CMUSphinx's adaptation tools; install them with: "
            f"sudo apt install {' '.join(missing)}"
        )
    return Tools({name: path for name, path in paths.items() if path is not None})
