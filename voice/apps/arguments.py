"""The command line's grammar: every command and option, with its help."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from voice import APP_NAME, __version__
from voice.apps import config, enrol
from voice.coach.settings import FASTEST_WPM, SLOWEST_WPM

USAGE = "stretch-coach [options] [COMMAND ...]"
"""Usage line: with no command the coach listens (or reads typed commands with --text)."""

DESCRIPTION = (
    "Offline, hands-free voice coach for back-pain stretches. With no COMMAND it listens to the "
    "microphone and speaks; with --text you type what you would say."
)


class _CoachParser(argparse.ArgumentParser):
    """The top-level parser; its help ends with what a person can say to the coach."""

    def format_help(self) -> str:
        from voice.apps.text_mode import what_to_say

        return super().format_help() + "\n" + what_to_say()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``stretch-coach``."""
    parser = _CoachParser(prog=APP_NAME, usage=USAGE, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--text", action="store_true", help="type commands instead of speaking them")
    parser.add_argument("--events", type=Path, help="write the session's event log (JSON lines) here")
    parser.add_argument("--content", type=Path, help="folder of content files (default: the built-in one)")
    parser.add_argument(
        "--rate", type=int, help=f"speech rate in words per minute ({SLOWEST_WPM}-{FASTEST_WPM})"
    )
    parser.add_argument("--volume", type=float, help="speech volume, 0.0 to 1.0")
    parser.add_argument("--voice", help="pyttsx3 voice id (default: espeak-ng's English voice)")
    parser.add_argument("--output-device", help="speaker: a device name or part of it, or a number")
    parser.add_argument("--count-every", type=int, help="count a hold every N seconds")
    parser.add_argument("--count-final", type=int, help="count every second for the last N")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    _add_listen_options(parser, None)
    _add_history_option(parser, None)
    parser.add_argument("--history-days", type=int, help="delete sessions older than N days (0: keep all)")
    parser.add_argument("--event-logs-kept", type=int, help="earlier event logs kept beside the current one")
    parser.add_argument("--device", help="microphone: a device name or part of it, or a number")
    parser.add_argument("--list-devices", action="store_true", help="list the input devices and exit")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=False, prog=APP_NAME,
        parser_class=argparse.ArgumentParser,
    )
    recognize = _add_command(commands, "recognize", "recognise commands in WAV files (one result per file)")
    _add_listen_options(recognize, argparse.SUPPRESS)
    recognize.add_argument("--json", action="store_true", help="print one JSON object per file")
    recognize.add_argument("files", type=Path, nargs="+", metavar="FILE.wav", help="16-bit PCM WAV files")
    simulate = _add_command(
        commands, "simulate", "run the coach on a virtual clock from a script and print the event log"
    )
    simulate.add_argument("script", type=Path, help="lines of '<seconds> <what the person says>'")
    _add_history_option(simulate, argparse.SUPPRESS)
    simulate.add_argument(
        "--date", help="with --history: record the session as on this day (YYYY-MM-DD[THH:MM])"
    )
    _add_history_command(commands)
    _add_model_commands(_add_command(commands, "model", "find, download or check the English Vosk model"))
    enrol.add_arguments(_add_command(commands, "enrol", "read sentences so the coach learns your voice"))
    _add_appliance_commands(parser, commands)
    return parser


def _add_command(
    commands: argparse._SubParsersAction[Any], name: str, summary: str
) -> argparse.ArgumentParser:
    """A sub-command that also takes -v after its name."""
    command: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=summary[0].upper() + summary[1:] + "."
    )
    command.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more detail"
    )
    return command


def _add_model_commands(model: argparse.ArgumentParser) -> None:
    actions = model.add_subparsers(dest="action", metavar="ACTION", required=True, prog="stretch-coach model")
    download = _add_command(
        actions, "download", "download the pinned English model, check its checksum and unpack it"
    )
    download.add_argument("--dest", type=Path, help="where to install (default: the user's data folder)")
    download.add_argument("--from-file", type=Path, help="install from an archive downloaded elsewhere")
    for name, summary in (
        ("verify", "check that a model is complete and really loads (and its archive, if kept)"),
        ("path", "print the folder of the model the coach would use"),
    ):
        action = _add_command(actions, name, summary)
        action.add_argument("--model", type=Path, default=argparse.SUPPRESS,
                            help="a model folder to use instead of searching")


def _add_appliance_commands(parser: argparse.ArgumentParser, commands: Any) -> None:
    """The config file option, and the commands that set the coach up as an appliance."""
    parser.add_argument(
        "--config", type=Path, help="config file (default: config.toml in your config folder)"
    )
    parser.set_defaults(**{option.dest: None for option in config.OPTIONS})  # unset: the config decides
    shown = _add_command(commands, "config", "show the settings in force and where each came from")
    shown.add_argument("--init", action="store_true", help="write a commented config file with these values")
    shown.add_argument("--force", action="store_true", help="with --init, replace an existing file")
    _add_command(commands, "doctor", "check microphone, speaker, voice, recogniser and content")
    service = _add_command(commands, "service", "start the coach at boot (a systemd user service)")
    service.add_argument("action", choices=("install", "uninstall", "status"))


def _add_listen_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--engine", default=default, help="vosk or pocketsphinx (default: vosk with a model)")
    parser.add_argument("--model", type=Path, default=default, help="Vosk model folder")
    parser.add_argument("--no-profile", action="store_true", default=False if default is None else default,
                        help="ignore the voice profile made by 'stretch-coach enrol'")


def _add_history_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--history", type=Path, default=default, metavar="FILE",
        help="session history file (default: in your data folder; simulate records only with it)",
    )


def _add_history_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = commands.add_parser("history", help="what was done and where it hurt, kept on this device")
    _add_history_option(history, argparse.SUPPRESS)
    history.add_argument(
        "--days", type=int, metavar="N", help="how many days back, today included (default: about a month)"
    )
    history.add_argument("--json", action="store_true", help="print one JSON object per session")
    history.add_argument("--csv", type=Path, metavar="FILE", help="also write a CSV export for a clinician")
    history.add_argument(
        "--chart", type=Path, metavar="FILE.png", help="also draw sessions per day (needs matplotlib)"
    )
    history.add_argument("--forget", action="store_true", help="delete the whole history (asks first)")
    history.add_argument("--yes", action="store_true", help="with --forget: do not ask")
