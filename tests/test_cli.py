"""The command line as a person uses it: simulate, text mode, and one-line errors."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli


def test_simulate_prints_the_event_log(tmp_path: Path) -> None:
    script = tmp_path / "session.txt"
    script.write_text("# a short session\n2 start hamstring stretch\n20 stop\n")
    result = run_cli("simulate", str(script))
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0] == {**events[0], "type": "say", "kind": "greeting", "t": 0.0}
    heard = [e for e in events if e["type"] == "heard"]
    assert [(e["intent"], e["exercise"]) for e in heard] == [("start", "hamstring"), ("stop", None)]
    assert all(set(e) >= {"t", "type"} for e in events)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("start now\n", "expected '<seconds> <what the person says>'"),
        ("5 next\n2 back\n", "earlier than the line before"),
        ("1 start hamstring\n-5 stop\n", "bad.txt:2: time '-5' must be a number of seconds, 0 or more"),
        ("inf stop\n", "bad.txt:1: time 'inf' must be a number of seconds, 0 or more"),
        ("1e999 stop\n", "bad.txt:1: time '1e999' must be a number of seconds, 0 or more"),
        ("nan stop\n", "bad.txt:1: time 'nan' must be a number of seconds, 0 or more"),
    ],
)
def test_bad_scripts_get_one_line_and_status_1(tmp_path: Path, script: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(script)
    result = run_cli("simulate", str(path))
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_script_and_broken_content_are_one_line(tmp_path: Path) -> None:
    missing = run_cli("simulate", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "cannot read the script" in missing.stderr
    folder = run_cli("simulate", str(tmp_path))
    assert folder.returncode == 1 and "cannot read the script: Is a directory" in folder.stderr
    latin = tmp_path / "latin.txt"
    latin.write_bytes("2 start the caf\u00e9 stretch\n".encode("latin-1"))
    not_utf8 = run_cli("simulate", str(latin))
    assert not_utf8.returncode == 1 and "latin.txt: the script is not UTF-8 text (byte 15)" in not_utf8.stderr
    content = tmp_path / "content"
    content.mkdir()
    broken = run_cli("--content", str(content), "simulate", str(tmp_path / "nope.txt"))
    assert broken.returncode == 1
    assert "no exercise files" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_text_mode_reads_typed_commands_and_prints_the_coach(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}  # no sound server: runs silently
    result = run_cli("--text", "--events", str(events), stdin="start core exercise\nquit\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "coach: Hello" in result.stdout
    assert "coach: Let's do the core exercise." in result.stdout
    heard = [json.loads(line) for line in events.read_text().splitlines() if '"heard"' in line]
    assert heard[0]["intent"] == "start" and heard[0]["exercise"] == "transversus_abdominis"


def test_out_of_range_options_are_refused() -> None:
    result = run_cli("--rate", "400", "--text", stdin="")
    assert result.returncode == 1
    assert "--rate 400 is out of range" in result.stderr


def no_sound_server(tmp_path: Path) -> dict[str, str]:
    """An environment in which PortAudio finds no microphone and no speaker at all."""
    return {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}


def test_without_any_sound_device_the_coach_says_so_and_carries_on_in_text(tmp_path: Path) -> None:
    result = run_cli(stdin="start core exercise\nquit\n", env=no_sound_server(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    notices = result.stderr.strip().splitlines()
    assert len(notices) == 2, notices
    assert notices[0].startswith("stretch-coach: No microphone") and "text mode" in notices[0]
    assert notices[1].startswith("stretch-coach: No speaker found") and "without sound" in notices[1]
    assert "coach: Let's do the core exercise." in result.stdout


def test_end_of_input_ends_the_text_session_like_stop(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    result = run_cli(
        "--text", "--events", str(events), stdin="start routine\n", env=no_sound_server(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("coach: Stopping here.\ncoach: Take care.")
    states = [json.loads(line)["state"] for line in events.read_text().splitlines() if '"state"' in line]
    assert states[-1] == "stopped"


def test_typed_words_that_are_no_command_get_a_pointer_to_help(tmp_path: Path) -> None:
    result = run_cli("--text", stdin="banana\n", env=no_sound_server(tmp_path))
    assert "coach: Sorry, I didn't catch that. Say help to hear what you can say." in result.stdout


def test_help_shows_the_command_is_optional_and_what_to_say() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: stretch-coach [options] [COMMAND ...]\n")
    assert "what you can say to the coach:" in result.stdout
    assert "(2) hip flexor stretch" in result.stdout and "If anything hurts" in result.stdout
    assert "press Ctrl-D" in result.stdout and "quit" in result.stdout


def test_each_model_action_has_its_own_help() -> None:
    helps = {action: run_cli("model", action, "--help").stdout for action in ("download", "verify", "path")}
    assert helps["download"].startswith("usage: stretch-coach model download")
    assert "--from-file" in helps["download"] and "--from-file" not in helps["verify"]
    assert "really loads" in helps["verify"]
    assert helps["path"].startswith("usage: stretch-coach model path")
    assert len(set(helps.values())) == 3


def test_verbose_works_after_the_command_too(tmp_path: Path) -> None:
    script = tmp_path / "session.txt"
    script.write_text("2 stop\n")
    after = run_cli("simulate", str(script), "-v")
    assert after.returncode == 0, after.stderr
    assert after.stdout == run_cli("-v", "simulate", str(script)).stdout
    nothing = run_cli("model", "verify", "-v", "--model", str(tmp_path / "none"))
    assert nothing.returncode == 1 and nothing.stderr.strip().endswith("no such model folder")


def test_typed_bytes_that_are_not_utf8_are_not_a_crash(tmp_path: Path) -> None:
    env = {**no_sound_server(tmp_path), "PYTHONIOENCODING": "utf-8:strict"}
    result = subprocess.run(
        [sys.executable, "-m", "voice", "--text"], input=b"caf\xe9\nlist\n", capture_output=True,
        cwd=ROOT, timeout=60, env=env,
    )
    assert result.returncode == 0
    assert b"Traceback" not in result.stderr
    assert b"coach: Sorry, I didn't catch that." in result.stdout
    assert b"coach: The exercises are:" in result.stdout


def test_output_cut_short_by_its_reader_is_not_a_crash(tmp_path: Path) -> None:
    script = tmp_path / "routine.txt"
    script.write_text("2 start routine\n")
    coach = subprocess.Popen(
        [sys.executable, "-m", "voice", "simulate", str(script)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert coach.stdout is not None and coach.stderr is not None
    first = coach.stdout.readline()
    coach.stdout.close()  # like `| head -1`
    errors = coach.stderr.read()
    assert json.loads(first)["type"] == "say"
    assert coach.wait(timeout=60) == 141
    assert b"Traceback" not in errors


def test_a_script_may_separate_time_and_words_with_a_tab(tmp_path: Path) -> None:
    script = tmp_path / "tabs.txt"
    script.write_text("2\tstart hamstring\n40  stop\n")
    result = run_cli("simulate", str(script))
    assert result.returncode == 0, result.stderr
    heard = [json.loads(line) for line in result.stdout.splitlines() if '"heard"' in line]
    assert [(e["t"], e["text"], e["intent"]) for e in heard] == [
        (2.0, "start hamstring", "start"), (40.0, "stop", "stop")
    ]


def test_at_a_terminal_text_mode_says_how_to_leave(tmp_path: Path) -> None:
    keyboard, terminal = pty.openpty()
    try:
        coach = subprocess.Popen(
            [sys.executable, "-m", "voice", "--text"], stdin=terminal, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=no_sound_server(tmp_path),
        )
        os.write(keyboard, b"quit\n")
        _, errors = coach.communicate(timeout=60)
    finally:
        os.close(keyboard)
        os.close(terminal)
    assert coach.returncode == 0
    hint = "stretch-coach: Type what you would say to the coach (help lists it); quit or Ctrl-D leaves."
    assert hint in errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--rate", "fast", "--text"), "argument --rate: invalid int value: 'fast'"),
        (("--volume", "nan", "--text"), "--volume nan is out of range"),
        (("--events", "{tmp}", "--text"), "cannot write the event log: Is a directory"),
        (("--events", "{tmp}/no/such/log.jsonl", "--text"), "cannot write the event log: No such file"),
        (("--content", "{tmp}/nowhere", "--text"), "content folder is missing"),
        (("--engine", "whisper", "recognize", "{tmp}/a.wav"), "unknown engine 'whisper'"),
        (("model", "download", "--from-file", "{tmp}/none.zip"), "none.zip: cannot be read"),
    ],
)
def test_user_mistakes_on_the_command_line_are_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli(*(arg.format(tmp=tmp_path) for arg in args), env=no_sound_server(tmp_path))
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error" in line]) == 1
