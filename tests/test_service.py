"""The systemd user service: the unit systemd accepts, written where it looks; journal-ready logs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli
from voice.apps.service import UNIT_NAME


def run(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """``stretch-coach`` with config and runtime folders in ``home`` (no user manager to talk to)."""
    runtime = home / "runtime"
    runtime.mkdir(exist_ok=True)
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_RUNTIME_DIR": str(runtime), **extra}
    return run_cli(*args, env=env)


def unit_path(home: Path) -> Path:
    return home / "config" / "systemd" / "user" / UNIT_NAME


def verify(unit: Path, runtime: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("needs systemd-analyze (scripts/setup.sh --test installs systemd)")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run([analyze, "--user", "verify", str(unit)], capture_output=True, text=True, env=env)


def test_install_writes_a_unit_where_systemd_looks_and_says_how_to_keep_it_running(tmp_path: Path) -> None:
    result = run(tmp_path, "service", "install")
    assert result.returncode == 0, result.stderr
    unit = unit_path(tmp_path).read_text()
    config = tmp_path / "config" / "stretch-coach" / "config.toml"
    assert f"ExecStart={sys.executable} -m voice --config {config}" in unit
    assert "Restart=on-failure" in unit
    assert "Environment=PULSE_SERVER=unix:%t/pulse/native" in unit
    assert "WantedBy=default.target" in unit
    assert "loginctl enable-linger" in result.stdout or "lingering is on" in result.stdout
    assert "systemctl --user enable --now stretch-coach.service" in result.stdout


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    assert run(tmp_path, "service", "install").returncode == 0
    checked = verify(unit_path(tmp_path), tmp_path / "runtime")
    assert checked.returncode == 0
    assert checked.stdout + checked.stderr == "", checked.stderr


def test_systemd_analyze_would_notice_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: the same unit with a bad restart policy is reported."""
    assert run(tmp_path, "service", "install").returncode == 0
    unit = unit_path(tmp_path)
    unit.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    checked = verify(unit, tmp_path / "runtime")
    assert "Failed to parse service restart specifier" in checked.stderr


def test_status_and_uninstall(tmp_path: Path) -> None:
    missing = run(tmp_path, "service", "status")
    assert missing.returncode == 1 and "not installed" in missing.stdout
    run(tmp_path, "service", "install")
    installed = run(tmp_path, "service", "status")
    assert installed.returncode == 0 and f"installed: {unit_path(tmp_path)}" in installed.stdout
    removed = run(tmp_path, "service", "uninstall")
    assert removed.returncode == 0 and not unit_path(tmp_path).exists()


TIME_OF_DAY = re.compile(r"\d\d:\d\d:\d\d")


@pytest.mark.parametrize("variable", ["JOURNAL_STREAM", "INVOCATION_ID"])
def test_under_systemd_log_lines_carry_a_priority_and_no_timestamp(tmp_path: Path, variable: str) -> None:
    result = run(tmp_path, "--rate", "400", "--text", **{variable: "8:12345"})
    assert result.returncode == 1
    assert result.stderr.strip() == "<3>error: --rate 400 is out of range; use 100 to 225 words per minute"
    assert not TIME_OF_DAY.search(result.stderr)


def test_as_a_service_a_missing_microphone_fails_so_systemd_tries_again(tmp_path: Path) -> None:
    result = run(tmp_path, "--device", "USB microphone", "--engine", "pocketsphinx", INVOCATION_ID="1")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("<3>error: no microphone (")
    assert result.stderr.strip().endswith("the service tries again shortly")


def test_in_a_terminal_log_lines_name_the_program(tmp_path: Path) -> None:
    systemd = ("JOURNAL_STREAM", "INVOCATION_ID")
    env = {name: value for name, value in os.environ.items() if name not in systemd}
    result = subprocess.run([sys.executable, "-m", "voice", "--rate", "400", "--text"], capture_output=True,
                            text=True, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    assert result.stderr.startswith("stretch-coach: error: --rate 400")


ODD_FOLDER = 'a %n b $HOME c\\d "e" \'f\' 😀'
"""A folder name with everything systemd reads specially in an ExecStart line: specifiers, variables,
escapes, quotes, and a character outside ASCII."""


def test_a_config_path_with_specifiers_variables_and_escapes_is_written_as_systemd_reads_it(
    tmp_path: Path,
) -> None:
    config = tmp_path / ODD_FOLDER / "config.toml"
    result = run(tmp_path, "--config", str(config), "service", "install")
    assert result.returncode == 0, result.stderr
    lines = unit_path(tmp_path).read_text().splitlines()
    line = next(line for line in lines if line.startswith("ExecStart="))
    quoted = str(config).replace("%", "%%").replace("$", "$$").replace("\\", "\\\\").replace('"', '\\"')
    assert line == f'ExecStart={sys.executable} -m voice --config "{quoted}"'
    checked = verify(unit_path(tmp_path), tmp_path / "runtime")
    assert checked.returncode == 0 and checked.stdout + checked.stderr == "", checked.stderr


@pytest.mark.parametrize("odd", ["new\nline", "carriage\rreturn", "tab\there", "nul\x7fdel", "bell\x07"])
def test_a_config_path_with_a_control_character_is_refused_in_one_line(tmp_path: Path, odd: str) -> None:
    result = run(tmp_path, "--config", str(tmp_path / odd / "config.toml"), "service", "install")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "control character" in result.stderr, result.stderr
    assert not unit_path(tmp_path).exists()
