"""Start at boot: a systemd user service for the coach, and log lines fit for the journal."""

from __future__ import annotations

import logging
import os
import shutil
import string
import subprocess
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voice import APP_NAME
from voice.errors import CoachError

UNIT_NAME = "stretch-coach.service"

PLAIN_WORD = frozenset(string.ascii_letters + string.digits + "_-+=:,./@")
"""Characters an ExecStart word may hold unquoted; any other word is quoted and escaped."""

SYSTEMD_ESCAPES = {"\\": "\\\\", '"': '\\"', "%": "%%", "$": "$$"}
"""How systemd reads a literal backslash, quote, percent sign (specifiers) and dollar sign (variables)."""

REFUSED_IN_UNITS = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Unicode categories no unit word may hold: control characters (a newline would start a new unit line),
line and paragraph separators, and the stand-ins for bytes that are not UTF-8."""

JOURNAL_PRIORITY = {
    logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2,
}
"""syslog priority of each logging level; the journal reads a ``<N>`` prefix on each line."""


class JournalFormatter(logging.Formatter):
    """``<priority>message``: the journal adds its own time and the service's name."""

    def format(self, record: logging.LogRecord) -> str:
        priority = JOURNAL_PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{super().format(record)}"


def under_systemd(environ: Mapping[str, str]) -> bool:
    """True when systemd started this process (its output then goes to the journal)."""
    return "JOURNAL_STREAM" in environ or "INVOCATION_ID" in environ


def log_handler(environ: Mapping[str, str], stream: IO[str]) -> logging.Handler:
    """Where log lines go: plain ``stretch-coach: ...`` lines, or journal lines under systemd."""
    handler = logging.StreamHandler(stream)
    if under_systemd(environ):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("stretch-coach: %(message)s"))
    return handler


@dataclass(frozen=True)
class Unit:
    """The systemd user unit of the coach."""

    command: tuple[str, ...]
    """The program and arguments the service runs."""

    def text(self) -> str:
        """The unit file."""
        return "\n".join([
            "[Unit]",
            "Description=Stretch Coach, a hands-free voice coach for back stretches",
            "Documentation=man:systemd.service(5)",
            "# Start once the sound server of this user runs (whichever of the two is installed).",
            "After=pipewire-pulse.service pulseaudio.service",
            "# Keep trying: a USB microphone plugged in late, or again, must bring the coach back.",
            "StartLimitIntervalSec=0",
            "",
            "[Service]",
            "Type=simple",
            f"ExecStart={exec_line(self.command)}",
            "Restart=on-failure",
            "RestartSec=10",
            "# The user's sound server, reached through ALSA's pulse plugin; %t is XDG_RUNTIME_DIR.",
            "Environment=PULSE_SERVER=unix:%t/pulse/native",
            "Environment=PYTHONUNBUFFERED=1",
            f"SyslogIdentifier={APP_NAME}",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ])


def exec_line(command: tuple[str, ...]) -> str:
    """``command`` as systemd reads an ExecStart line back, word for word; control characters are refused."""
    return " ".join(_unit_word(word) for word in command)


def _unit_word(word: str) -> str:
    bad = next((char for char in word if unicodedata.category(char) in REFUSED_IN_UNITS), None)
    if bad is not None:
        raise CoachError(f"cannot start the coach as a service with {word!r}: it holds the control "
                         f"character {bad!r} (or bytes that are not UTF-8); use a path without it")
    if word and set(word) <= PLAIN_WORD:
        return word
    return '"' + "".join(SYSTEMD_ESCAPES.get(char, char) for char in word) + '"'


def unit_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """Where systemd looks for this user's own units."""
    config_home = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "systemd" / "user"


def coach_command(config_file: Path) -> tuple[str, ...]:
    """The coach as the service runs it: this environment's Python, this config file."""
    return (str(Path(sys.executable).absolute()), "-m", "voice", "--config", str(config_file.absolute()))


def _systemctl(*args: str) -> subprocess.CompletedProcess[str] | None:
    """Run ``systemctl --user``; None when there is no user manager to talk to."""
    if shutil.which("systemctl") is None:
        return None
    try:
        done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 and "Failed to connect" in done.stderr:
        return None
    return done


def _linger_line() -> str:
    user = os.environ.get("USER") or Path.home().name
    if Path("/var/lib/systemd/linger", user).exists():
        return f"lingering is on for {user}: the coach starts at boot without anyone logging in"
    return f"to start it at boot without logging in, run once: sudo loginctl enable-linger {user}"


def install(config_file: Path, out: IO[str]) -> int:
    """Write the unit where systemd looks; enable and start it when a user manager is running."""
    path = unit_folder() / UNIT_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Unit(coach_command(config_file)).text(), encoding="utf-8")
    except OSError as error:
        raise CoachError(f"{path}: cannot write the service: {error.strerror}") from None
    out.write(f"wrote {path}\n")
    if _systemctl("daemon-reload") is None:
        out.write("no systemd user manager here; once logged in, run: "
                  f"systemctl --user enable --now {UNIT_NAME}\n")
    else:
        done = _systemctl("enable", "--now", UNIT_NAME)
        if done is not None and done.returncode != 0:
            raise CoachError(f"systemctl --user enable --now {UNIT_NAME} failed: {done.stderr.strip()}")
        out.write(f"enabled and started; follow it with: journalctl --user -u {UNIT_NAME} -f\n")
    out.write(_linger_line() + "\n")
    return 0


def uninstall(out: IO[str]) -> int:
    """Stop and disable the service and remove its unit."""
    path = unit_folder() / UNIT_NAME
    if not path.exists():
        out.write(f"not installed ({path} does not exist)\n")
        return 0
    _systemctl("disable", "--now", UNIT_NAME)
    path.unlink()
    _systemctl("daemon-reload")
    out.write(f"removed {path}\n")
    return 0


def status(out: IO[str]) -> int:
    """Whether the unit is installed, enabled and running; 0 only when installed."""
    path = unit_folder() / UNIT_NAME
    if not path.exists():
        out.write("not installed; install it with: stretch-coach service install\n")
        return 1
    out.write(f"installed: {path}\n")
    enabled, active = _systemctl("is-enabled", UNIT_NAME), _systemctl("is-active", UNIT_NAME)
    if enabled is None or active is None:
        out.write("no systemd user manager here to ask whether it runs\n")
    else:
        out.write(f"{enabled.stdout.strip() or 'unknown'}, {active.stdout.strip() or 'unknown'}\n")
    out.write(_linger_line() + "\n")
    return 0


def run_service(action: str, config_file: Path, out: IO[str]) -> int:
    """``stretch-coach service install | uninstall | status``."""
    if action == "install":
        return install(config_file, out)
    if action == "uninstall":
        return uninstall(out)
    return status(out)
