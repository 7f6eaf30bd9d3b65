"""Command line: options become frozen settings once; errors are reported in one line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from voice import __version__, config
from voice.asr import ListenSettings
from voice.content import Content, load_content
from voice.errors import CoachError
from voice.settings import CoachSettings, CountCadence
from voice.tts import SpeechSettings

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
    state_file: Path | None = None
    """Where voice choices (rate, volume) are kept for the next session; None to keep nothing."""


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
    parser.add_argument("--rate", type=int, default=150, help="speech rate in words per minute (100-225)")
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
    model.add_argument("--dest", type=Path, help="where to install (default: models/ in the project)")
    model.add_argument("--from-file", type=Path, help="install from an archive downloaded elsewhere")
    _add_appliance_commands(parser, commands)
    return parser


def _add_appliance_commands(parser: argparse.ArgumentParser, commands: Any) -> None:
    """The config file option, and the commands that set the coach up as an appliance."""
    parser.add_argument(
        "--config", type=Path, help="config file (default: config.toml in your config folder)"
    )
    parser.set_defaults(**{option.dest: None for option in config.OPTIONS})  # unset: the config decides
    shown = commands.add_parser("config", help="show the settings in force and where each came from")
    shown.add_argument("--init", action="store_true", help="write a commented config file with these values")
    shown.add_argument("--force", action="store_true", help="with --init, replace an existing file")
    commands.add_parser("doctor", help="check microphone, speaker, voice, recogniser and content")
    service = commands.add_parser("service", help="start the coach at boot (a systemd user service)")
    service.add_argument("action", choices=("install", "uninstall", "status"))


def _add_listen_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--engine", default=default, help="vosk or pocketsphinx (default: vosk with a model)")
    parser.add_argument("--model", type=Path, default=default, help="Vosk model folder")


def _settings(args: argparse.Namespace) -> AppSettings:
    if not 100 <= args.rate <= 225:
        raise CoachError(f"--rate {args.rate} is out of range; use 100 to 225 words per minute")
    if not 0.0 <= args.volume <= 1.0:
        raise CoachError(f"--volume {args.volume} is out of range; use 0.0 to 1.0")
    if args.count_every < 0 or args.count_final < 0:
        raise CoachError("--count-every and --count-final must not be negative")
    coach = CoachSettings(
        cadence=CountCadence(args.count_every, args.count_final), rate=args.rate, volume=args.volume
    )
    command = args.command or ("text" if args.text else "live")
    return AppSettings(
        command=command, content_dir=args.content, coach=coach, events=args.events,
        speech=SpeechSettings(rate=args.rate, voice=args.voice),
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
            content, settings.coach, settings.speech, settings.output_device, sys.stdin, sys.stdout, events,
            state_file=settings.state_file,
        )


def _run_live(settings: AppSettings, content: Content) -> int:
    from voice.errors import AudioDeviceError
    from voice.live import LiveSettings, run_live

    live = LiveSettings(
        settings.coach, settings.speech, settings.listen, settings.output_device, settings.state_file
    )
    with ExitStack() as stack:
        events = _open_events(settings, stack)
        try:
            return run_live(content, live, events, sys.stdout)
        except AudioDeviceError as error:
            _no_microphone_under_systemd(error)
            log.warning("No microphone (%s); carrying on in text mode: type your commands.", error)
    return _run_text(settings, content)


def _no_microphone_under_systemd(error: CoachError) -> None:
    """As a service nobody can type: fail, so that systemd starts the coach again shortly."""
    from voice.service import under_systemd

    if under_systemd(os.environ):
        raise CoachError(f"no microphone ({error}); the service tries again shortly") from None


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


def _resolve(args: argparse.Namespace, spoken: bool) -> tuple[dict[str, config.Setting], config.Places]:
    """Each option's value in force and where it came from (with ``spoken`` choices), and the files."""
    places = config.default_places(args.config)
    given = {option.key: getattr(args, option.dest, None) for option in config.OPTIONS}
    return config.resolve(given, places, spoken), places


def _configured(args: argparse.Namespace) -> tuple[argparse.Namespace, config.Places]:
    """``args`` with every option the command line left unset taken from state, config or default.

    What the person chose aloud counts in sessions with them (live, typed), not in simulations."""
    settings, places = _resolve(args, spoken=args.command is None)
    for key, setting in settings.items():
        setattr(args, config.BY_KEY[key].dest, setting.value)
    if args.verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    return args, places


def _run_config(args: argparse.Namespace) -> int:
    settings, places = _resolve(args, spoken=not args.init)
    if args.init:
        config.write_config(places.config, {key: s.value for key, s in settings.items()}, args.force)
        print(f"wrote {places.config}")
        return 0
    print(config.describe(settings, places))
    return 0


def _run_appliance(args: argparse.Namespace) -> int:
    if args.command == "config":
        return _run_config(args)
    args, places = _configured(args)
    settings = replace(_settings(args), state_file=places.state)
    if args.command == "doctor":
        from voice.doctor import DoctorSettings, run_doctor

        checked = DoctorSettings(
            settings.listen, settings.output_device, settings.content_dir, settings.speech.voice
        )
        return run_doctor(checked, sys.stdout)
    from voice.service import run_service

    return run_service(args.action, places.config, sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stretch-coach``; returns the exit status."""
    from voice.service import log_handler

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, handlers=[log_handler(os.environ, sys.stderr)],
    )
    try:
        if args.list_devices:
            return _list_devices()
        if args.command == "model":
            return _run_model(args)
        if args.command in ("config", "doctor", "service"):
            return _run_appliance(args)
        args, places = _configured(args)
        return _dispatch(replace(_settings(args), state_file=places.state))
    except CoachError as error:
        log.error("error: %s", error)
        return 1
    except KeyboardInterrupt:
        return 130
