"""Command line: options become frozen settings once; errors are reported in one line."""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from voice.apps import config, enrol
from voice.apps.arguments import build_parser
from voice.coach.actions import EVENT_LOGS_KEPT
from voice.coach.settings import FASTEST_WPM, SLOWEST_WPM, CoachSettings, CountCadence
from voice.content import Content, load_content
from voice.errors import CoachError
from voice.listening.recognizer import ListenSettings
from voice.speech.synthesis import SpeechSettings

if TYPE_CHECKING:
    from voice.history.recorder import HistoryTarget

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
    history: Path | None = None
    """The history file (live and text default to the person's data folder; simulate records only with it)."""
    session_start: datetime | None = None
    """Where ``simulate --date`` places the recorded session."""
    state_file: Path | None = None
    """Where voice choices (rate, volume) are kept for the next session; None to keep nothing."""
    use_profile: bool = True
    """Listen with the person's voice profile when there is one (``--no-profile``: not)."""
    history_days: int = 0
    """Sessions older than this many days are deleted from the history at the start (0: none)."""
    event_logs_kept: int = EVENT_LOGS_KEPT
    """Earlier event logs kept beside the current one."""


def _settings(args: argparse.Namespace) -> AppSettings:
    from voice.apps.simulate import placed_start

    if not SLOWEST_WPM <= args.rate <= FASTEST_WPM:
        raise CoachError(
            f"--rate {args.rate} is out of range; use {SLOWEST_WPM} to {FASTEST_WPM} words per minute"
        )
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
        history=getattr(args, "history", None), use_profile=not args.no_profile,
        session_start=placed_start(getattr(args, "date", None), getattr(args, "history", None)),
        history_days=args.history_days, event_logs_kept=args.event_logs_kept,
    )


def _run_simulate(settings: AppSettings, content: Content) -> int:
    from voice.apps.simulate import read_script, simulate
    from voice.history.recorder import HistoryTarget

    assert settings.script is not None
    script = read_script(settings.script)
    history = None
    if settings.history is not None:
        started = settings.session_start or datetime.now().astimezone()
        history = HistoryTarget(settings.history, started, "simulate", settings.history_days)
    simulate(script, content, settings.coach, sys.stdout, history)
    return 0


def _history_target(settings: AppSettings, engine: str) -> HistoryTarget:
    from voice.history.recorder import HistoryTarget
    from voice.history.store import default_history_path

    path = settings.history or default_history_path()
    return HistoryTarget(path, datetime.now().astimezone(), engine, settings.history_days)


def _open_events(settings: AppSettings, stack: ExitStack) -> IO[str] | None:
    from voice.coach.actions import open_event_log

    if settings.events is None:
        return None
    return stack.enter_context(open_event_log(settings.events, settings.event_logs_kept))


def _run_text(settings: AppSettings, content: Content) -> int:
    from voice.apps.text_mode import run_text_mode

    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # a byte typed in another encoding is just not understood
    if sys.stdin.isatty():
        log.info("Type what you would say to the coach (help lists it); quit or Ctrl-D leaves.")
    with ExitStack() as stack:
        events = _open_events(settings, stack)
        return run_text_mode(
            content, settings.coach, settings.speech, settings.output_device, sys.stdin, sys.stdout, events,
            _history_target(settings, "text"), state_file=settings.state_file,
        )


def _run_live(settings: AppSettings, content: Content) -> int:
    from voice.apps.live import LiveSettings, run_live
    from voice.errors import AudioDeviceError

    target = _history_target(settings, "live")  # the engine's own name replaces "live" once it is loaded
    live = LiveSettings(
        settings.coach, settings.speech, _with_profile(settings), settings.output_device,
        history=target, state_file=settings.state_file,
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
    from voice.apps.service import under_systemd

    if under_systemd(os.environ):
        raise CoachError(f"no microphone ({error}); the service tries again shortly") from None


def _run_model(args: argparse.Namespace) -> int:
    from voice.listening import models

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
    from voice.apps.recognize import run_recognize

    return run_recognize(settings.files, _with_profile(settings), content, sys.stdout, settings.json)


def _with_profile(settings: AppSettings) -> ListenSettings:
    """The listening settings with the person's voice profile, unless ``--no-profile``."""
    return replace(settings.listen, adaptation=enrol.profile_in_use(settings.use_profile))


def _run_enrol(args: argparse.Namespace) -> int:
    settings, _ = _settled(args)
    listen, content_dir = settings.listen, settings.content_dir
    return enrol.run_enrol(args, content_dir, listen, settings.speech, settings.output_device)


def _run_history(args: argparse.Namespace) -> int:
    from voice.history.command import HistoryOptions, run_history

    options = HistoryOptions(
        path=args.history, days=args.days, json=args.json, csv=args.csv, chart=args.chart,
        forget=args.forget, yes=args.yes, events=_event_log_setting(args) if args.forget else None,
    )
    return run_history(options, datetime.now().astimezone(), sys.stdin, sys.stdout)


def _event_log_setting(args: argparse.Namespace) -> Path | None:
    """The event log the coach writes: ``--events``, else the config file's (None if unreadable)."""
    if args.events is not None:
        return Path(args.events)
    try:
        events = config.read_config(config.default_places(args.config).config).get("events")
    except CoachError:
        return None
    return events if isinstance(events, Path) else None


def _list_devices() -> int:
    from voice.audio.microphone import format_devices, input_devices

    print(format_devices(input_devices()))
    return 0


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


def _settled(args: argparse.Namespace) -> tuple[AppSettings, config.Places]:
    """The settings in force for a command that runs the coach or checks it, and the files."""
    args, places = _configured(args)
    return replace(_settings(args), state_file=places.state), places


def _run_doctor(args: argparse.Namespace) -> int:
    from voice.apps.doctor import DoctorSettings, Retention, run_doctor
    from voice.history.store import default_history_path

    settings, _ = _settled(args)
    checked = DoctorSettings(
        settings.listen, settings.output_device, settings.content_dir, settings.speech.voice,
        Retention(settings.history or default_history_path(), settings.history_days,
                  settings.events, settings.event_logs_kept),
    )
    return run_doctor(checked, sys.stdout)


def _run_service(args: argparse.Namespace) -> int:
    from voice.apps.service import run_service

    _, places = _settled(args)
    return run_service(args.action, places.config, sys.stdout)


def _with_content(run: Callable[[AppSettings, Content], int]) -> Callable[[argparse.Namespace], int]:
    """A command that runs on the content given with ``--content`` (or the built-in one)."""

    def run_on_content(args: argparse.Namespace) -> int:
        settings, _ = _settled(args)
        return run(settings, load_content(settings.content_dir))

    return run_on_content


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "live": _with_content(_run_live), "text": _with_content(_run_text),
    "simulate": _with_content(_run_simulate), "recognize": _with_content(_run_recognize),
    "model": _run_model, "history": _run_history, "enrol": _run_enrol,
    "config": _run_config, "doctor": _run_doctor, "service": _run_service,
}
"""What each command runs; with no command the coach listens (``live``), or reads typed words (``text``)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stretch-coach``; returns the exit status."""
    from voice.apps.service import log_handler

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, handlers=[log_handler(os.environ, sys.stderr)],
    )
    try:
        if args.list_devices:
            return _list_devices()
        return COMMANDS[args.command or ("text" if args.text else "live")](args)
    except CoachError as error:
        log.error("error: %s", error)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of our output went away (``| head``): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
