"""Command line: options become frozen settings once; errors are reported in one line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from voice import __version__
from voice.asr import ListenSettings
from voice.content import Content, load_content
from voice.errors import CoachError
from voice.settings import CoachSettings, CountCadence
from voice.tts import DEFAULT_WPM, FASTEST_WPM, SLOWEST_WPM, SpeechSettings

log = logging.getLogger("voice")


@dataclass(frozen=True)
class AppSettings:
    """Everything the command line decided, built once."""

    command: str
    """``live``, ``text``, ``simulate`` (more from the listening commands)."""
    content_dir: Path | None
    """Folder of content files; None for the one that ships."""
    coach: CoachSettings
    """Pacing and counting of the session."""
    speech: SpeechSettings
    """How the coach's voice sounds."""
    output_device: str | None
    """Speaker device (name part or number), or None for the default."""
    events: Path | None
    """Where to write the event log, or None."""
    script: Path | None
    """The simulate script."""
    verbose: bool
    """Log debugging detail."""
    listen: ListenSettings = field(default_factory=ListenSettings)
    """Engine, model and microphone for listening."""
    files: tuple[Path, ...] = ()
    """WAV files for ``recognize``."""
    json: bool = False
    """``recognize`` prints JSON lines."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``stretch-coach``."""
    parser = argparse.ArgumentParser(
        prog="stretch-coach",
        description="Offline, hands-free voice coach for back-pain stretches.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--text", action="store_true", help="type commands instead of speaking them")
    parser.add_argument("--events", type=Path, help="write the session's event log (JSON lines) here")
    parser.add_argument("--content", type=Path, help="folder of content files (default: the built-in one)")
    parser.add_argument(
        "--rate", type=int, default=DEFAULT_WPM,
        help=f"speech rate in words per minute ({SLOWEST_WPM}-{FASTEST_WPM})",
    )
    parser.add_argument("--volume", type=float, default=1.0, help="speech volume, 0.0 to 1.0")
    parser.add_argument("--voice", help="pyttsx3 voice id (default: espeak-ng's English voice)")
    parser.add_argument("--output-device", help="speaker: a device name or part of it, or a number")
    parser.add_argument("--count-every", type=int, default=5, help="count a hold every N seconds")
    parser.add_argument("--count-final", type=int, default=5, help="count every second for the last N")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    _add_listen_options(parser, None)
    parser.add_argument("--device", help="microphone: a device name or part of it, or a number")
    parser.add_argument("--list-devices", action="store_true", help="list the input devices and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    recognize = commands.add_parser("recognize", help="recognise commands in WAV files (one result per file)")
    _add_listen_options(recognize, argparse.SUPPRESS)
    recognize.add_argument("--json", action="store_true", help="print one JSON object per file")
    recognize.add_argument("files", type=Path, nargs="+", metavar="FILE.wav", help="16-bit PCM WAV files")
    simulate = commands.add_parser(
        "simulate", help="run the coach on a virtual clock from a script and print the event log"
    )
    simulate.add_argument("script", type=Path, help="lines of '<seconds> <what the person says>'")
    model = commands.add_parser("model", help="find, download or check the English Vosk model")
    model.add_argument("action", choices=("download", "verify", "path"))
    model.add_argument("--model", type=Path, help="a model folder to use instead of searching")
    model.add_argument("--dest", type=Path, help="where to install (default: the user's data folder)")
    model.add_argument("--from-file", type=Path, help="install from an archive downloaded elsewhere")
    return parser


def _add_listen_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--engine", default=default, help="vosk or pocketsphinx (default: vosk with a model)")
    parser.add_argument("--model", type=Path, default=default, help="Vosk model folder")


def _settings(args: argparse.Namespace) -> AppSettings:
    if not SLOWEST_WPM <= args.rate <= FASTEST_WPM:
        raise CoachError(
            f"--rate {args.rate} is out of range; use {SLOWEST_WPM} to {FASTEST_WPM} words per minute"
        )
    if not 0.0 <= args.volume <= 1.0:
        raise CoachError(f"--volume {args.volume} is out of range; use 0.0 to 1.0")
    if args.count_every < 0 or args.count_final < 0:
        raise CoachError("--count-every and --count-final must not be negative")
    coach = CoachSettings(cadence=CountCadence(args.count_every, args.count_final), rate=args.rate)
    command = args.command or ("text" if args.text else "live")
    return AppSettings(
        command=command, content_dir=args.content, coach=coach, events=args.events,
        speech=SpeechSettings(rate=args.rate, volume=args.volume, voice=args.voice),
        output_device=args.output_device,
        script=getattr(args, "script", None), verbose=args.verbose,
        listen=ListenSettings(engine=args.engine, model=args.model, device=args.device),
        files=tuple(getattr(args, "files", ())), json=getattr(args, "json", False),
    )


def _run_simulate(settings: AppSettings, content: Content) -> int:
    from voice.simulate import read_script, simulate

    assert settings.script is not None
    simulate(read_script(settings.script), content, settings.coach, sys.stdout)
    return 0


def _open_events(settings: AppSettings, stack: ExitStack) -> IO[str] | None:
    if settings.events is None:
        return None
    try:
        return stack.enter_context(settings.events.open("w", encoding="utf-8"))
    except OSError as error:
        raise CoachError(f"{settings.events}: cannot write the event log: {error.strerror}") from None


def _run_text(settings: AppSettings, content: Content) -> int:
    from voice.textmode import run_text_mode

    with ExitStack() as stack:
        events = _open_events(settings, stack)
        return run_text_mode(
            content, settings.coach, settings.speech, settings.output_device, sys.stdin, sys.stdout, events
        )


def _run_live(settings: AppSettings, content: Content) -> int:
    from voice.errors import AudioDeviceError
    from voice.live import LiveSettings, run_live

    live = LiveSettings(settings.coach, settings.speech, settings.listen, settings.output_device)
    with ExitStack() as stack:
        events = _open_events(settings, stack)
        try:
            return run_live(content, live, events, sys.stdout)
        except AudioDeviceError as error:
            log.warning("No microphone (%s); carrying on in text mode: type your commands.", error)
    return _run_text(settings, content)


def _run_model(args: argparse.Namespace) -> int:
    from voice import models

    if args.action == "download":
        installed = models.install(destination=args.dest, from_file=args.from_file)
        log.info("installed and verified: %s", installed)
        print(installed)
    elif args.action == "verify":
        print(models.verify(args.model))
    else:
        found = models.find_model(args.model)
        if found is None:
            raise CoachError("no Vosk model found; get one with: stretch-coach model download")
        print(found)
    return 0


def _run_recognize(settings: AppSettings, content: Content) -> int:
    from voice.recognize import run_recognize

    return run_recognize(settings.files, settings.listen, content, sys.stdout, settings.json)


def _list_devices() -> int:
    from voice.audio_in import format_devices, input_devices

    print(format_devices(input_devices()))
    return 0


def _dispatch(settings: AppSettings) -> int:
    content = load_content(settings.content_dir)
    if settings.command == "simulate":
        return _run_simulate(settings, content)
    if settings.command == "recognize":
        return _run_recognize(settings, content)
    if settings.command == "live":
        return _run_live(settings, content)
    return _run_text(settings, content)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stretch-coach``; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="stretch-coach: %(message)s", stream=sys.stderr,
    )
    try:
        if args.list_devices:
            return _list_devices()
        if args.command == "model":
            return _run_model(args)
        return _dispatch(_settings(args))
    except CoachError as error:
        log.error("error: %s", error)
        return 1
    except KeyboardInterrupt:
        return 130
