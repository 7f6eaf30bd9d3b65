"""The config file and the spoken-preferences state: every command-line option, with where each came from."""

from __future__ import annotations

import json
import logging
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voice import APP_NAME
from voice.bounded import TooDeep, TooLarge, parse_nested, read_bounded
from voice.coach.actions import EVENT_LOGS_KEPT, MAX_EVENT_LOGS_KEPT, VoiceChange
from voice.coach.settings import DEFAULT_WPM, FASTEST_WPM, SLOWEST_WPM, CoachSettings
from voice.errors import CoachError
from voice.history.command import MAX_DAYS

log = logging.getLogger(__name__)

CONFIG_ENV = "STRETCH_COACH_CONFIG"
"""Environment variable naming another config file (the state file then lies beside it)."""

Value = str | int | float | bool | Path | None


class ConfigError(CoachError):
    """A config or state file holds something the coach cannot use."""


@dataclass(frozen=True)
class Option:
    """One setting shared by the command line and the config file."""

    key: str
    """Name in the config file; ``--key`` on the command line."""
    default: Value
    """Value when neither the command line nor a file sets it."""
    allowed: str
    """What values are allowed, as words (for error messages and the written file)."""
    check: Callable[[Any], bool]
    """True when a value read from a file is allowed."""
    comment: str
    """What the option does, one line."""
    is_path: bool = False
    """The value names a file or folder (``~`` is expanded; a relative one is beside the config file)."""
    remembered: bool = False
    """The person can change it by voice; the last choice is kept in the state file."""
    example: str = ""
    """A value shown (commented out) in a new config file when the option is unset."""

    @property
    def dest(self) -> str:
        """The attribute argparse stores it under."""
        return self.key.replace("-", "_")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\0" not in value


def _whole(low: int, high: int | None = None) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        return ok and (high is None or value <= high)
    return check


def _fraction(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and 0.0 <= value <= 1.0


COACH = CoachSettings()
"""The coach's own defaults, which the options start from."""

OPTIONS = (
    Option("device", None, "a microphone name (or part of it) or number", _text,
           "microphone; list them with: stretch-coach --list-devices", example="USB"),
    Option("output-device", None, "a speaker name (or part of it) or number", _text, "speaker",
           example="USB"),
    Option("engine", None, "'vosk' or 'pocketsphinx'", lambda v: v in ("vosk", "pocketsphinx"),
           "speech recogniser (unset: Vosk when an English model is installed, else PocketSphinx)",
           example="pocketsphinx"),
    Option("model", None, "a Vosk model folder", _text, "Vosk model folder (unset: search the usual places)",
           is_path=True, example="~/vosk-model-small-en-us-0.15"),
    Option("rate", DEFAULT_WPM, f"a whole number from {SLOWEST_WPM} to {FASTEST_WPM}",
           _whole(SLOWEST_WPM, FASTEST_WPM),
           "speech rate in words per minute; 'slower'/'faster' change it", remembered=True),
    Option("volume", COACH.volume, "a number from 0.0 to 1.0", _fraction,
           "speech volume; 'louder'/'quieter' change it", remembered=True),
    Option("voice", None, "an espeak-ng voice id, such as en-us", _text, "the coach's voice",
           example="en-us"),
    Option("count-every", COACH.cadence.every, "a whole number, 0 or more", _whole(0),
           "count a hold aloud every N seconds"),
    Option("count-final", COACH.cadence.final, "a whole number, 0 or more", _whole(0),
           "count every second for the last N seconds of a hold"),
    Option("content", None, "a content folder", _text, "exercises and phrases (unset: the built-in ones)",
           is_path=True, example="~/my-exercises"),
    Option("events", None, "a file name", _text, "write each session's event log (JSON lines) here",
           is_path=True, example="~/stretch-coach-events.jsonl"),
    Option("history-days", 0, f"a whole number of days from 0 to {MAX_DAYS}", _whole(0, MAX_DAYS),
           "sessions older than this many days are deleted from the history when the coach starts "
           "(0: kept until 'history --forget')"),
    Option("event-logs-kept", EVENT_LOGS_KEPT, f"a whole number from 0 to {MAX_EVENT_LOGS_KEPT}",
           _whole(0, MAX_EVENT_LOGS_KEPT), "earlier event logs kept beside the current one (FILE.1 ...)"),
    Option("verbose", False, "true or false", lambda v: isinstance(v, bool), "log more detail"),
)
"""Every option the command line and the config file share, in the order the file lists them."""

BY_KEY = {option.key: option for option in OPTIONS}

CHECKED_AS_GIVEN = ("history-days", "event-logs-kept")
"""Options whose command-line value is checked by the file's rule (the CLI words the others' errors)."""


@dataclass(frozen=True)
class Places:
    """Where the config file and the state file are."""

    config: Path
    """The TOML config file a helper edits."""
    state: Path
    """The JSON file keeping what the person chose by voice (rate, volume)."""


def default_places(explicit: Path | None = None) -> Places:
    """``--config``, ``$STRETCH_COACH_CONFIG``, or config.toml in the user's config folder."""
    if explicit is None and os.environ.get(CONFIG_ENV):
        explicit = Path(os.environ[CONFIG_ENV])
    if explicit is None:
        from platformdirs import user_config_path

        explicit = user_config_path(APP_NAME) / "config.toml"
    return Places(config=explicit, state=explicit.with_name("state.json"))


@dataclass(frozen=True)
class Setting:
    """A value in force and where it came from."""

    value: Value
    """The value."""
    source: str
    """``default``, ``command line``, or the file it was read from."""


def _check(option: Option, value: Any, path: Path) -> Value:
    if not option.check(value):
        raise ConfigError(f"{path}: '{option.key}' is {value!r}; allowed: {option.allowed}")
    if option.is_path:  # relative to the file's folder, wherever the coach is started from
        return path.parent / Path(value).expanduser()
    if isinstance(option.default, float) and isinstance(value, int):
        return float(value)
    return value  # type: ignore[no-any-return]


def read_config(path: Path) -> dict[str, Value]:
    """The options set in a config file ({} when there is none); ConfigError naming file and key."""
    try:
        data = parse_nested(tomllib.loads, read_bounded(path).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except (TooLarge, TooDeep) as error:
        raise ConfigError(f"{path}: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None
    values = {}
    for key, value in data.items():
        option = BY_KEY.get(key)
        if option is None:
            raise ConfigError(f"{path}: unknown key '{key}'; allowed: {', '.join(BY_KEY)}")
        values[key] = _check(option, value, path)
    return values


def read_state(path: Path) -> dict[str, Value]:
    """What the person chose by voice last time; a damaged state file is reported and ignored."""
    try:
        data = parse_nested(json.loads, read_bounded(path).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:  # also not UTF-8, too large, nested too deeply
        log.warning("%s: ignored, cannot be read (%s)", path, error)
        return {}
    values: dict[str, Value] = {}
    for key, value in data.items() if isinstance(data, dict) else ():
        option = BY_KEY.get(key)
        if option is not None and option.remembered and option.check(value):
            values[key] = _check(option, value, path)
        else:
            log.warning("%s: ignored '%s' = %r", path, key, value)
    return values


def save_state(path: Path, changes: Mapping[str, Value]) -> None:
    """Keep voice choices for the next session (written whole, then renamed into place)."""
    state = dict(read_state(path))
    state.update(changes)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.part")
        partial.write_text(json.dumps(state, indent=2, default=str) + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        log.warning("%s: cannot keep your voice settings (%s)", path, error.strerror)


def voice_keeper(path: Path | None) -> Callable[[VoiceChange], None] | None:
    """What keeps a spoken rate or volume change in the state file at ``path`` (None: keep nothing)."""
    if path is None:
        return None
    return lambda change: save_state(path, {"rate": change.rate, "volume": change.volume})


def resolve(given: Mapping[str, Value], places: Places, spoken: bool = True) -> dict[str, Setting]:
    """Each option's value in force: command line, then state (voice choices), then config file, then default.

    ``given`` holds what the command line set (by key); options it leaves out are None there or absent.
    ``spoken``: take the person's spoken choices into account (sessions do; simulations do not)."""
    config = read_config(places.config)
    state = read_state(places.state) if spoken else {}
    settings = {}
    for option in OPTIONS:
        if given.get(option.key) is not None:
            if option.key in CHECKED_AS_GIVEN and not option.check(given[option.key]):
                value = given[option.key]
                raise ConfigError(f"--{option.key} {value} is out of range; allowed: {option.allowed}")
            settings[option.key] = Setting(given[option.key], "command line")
        elif option.key in state:
            settings[option.key] = Setting(state[option.key], f"{places.state} (said aloud)")
        elif option.key in config:
            settings[option.key] = Setting(config[option.key], str(places.config))
        else:
            settings[option.key] = Setting(option.default, "default")
    return settings


TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
"""Characters a TOML basic string writes escaped (other control characters become ``\\uXXXX``)."""


def _toml_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + "".join(_toml_char(char) for char in str(value)) + '"'


def _toml_char(char: str) -> str:
    """One character of a TOML basic string, as it reads back to the same character."""
    if char in TOML_ESCAPES:
        return TOML_ESCAPES[char]
    if char < " " or char == "\x7f":
        return f"\\u{ord(char):04x}"
    if "\ud800" <= char <= "\udfff":  # a file name's bytes that are not UTF-8: TOML cannot hold them
        raise ConfigError("a path in the settings is not valid UTF-8, so the config file cannot hold it; "
                          "rename it or leave it out")
    return char


def config_text(values: Mapping[str, Value]) -> str:
    """A commented config file holding ``values``; unset options are written commented out."""
    lines = [
        "# Stretch Coach settings. Command-line options override these.",
        "# 'louder', 'quieter', 'slower' and 'faster' said aloud are kept in state.json beside this file,",
        "# and win over rate and volume here until that file is deleted.",
        "",
    ]
    for option in OPTIONS:
        value = values.get(option.key)
        if option.is_path and value is not None:  # read back beside the config file, wherever that is
            value = Path(str(value)).absolute()
        lines.append(f"# {option.comment}")
        lines.append(f"# allowed: {option.allowed}")
        if value is None:
            lines.append(f"# {option.key} = {_toml_value(option.example)}")
        else:
            lines.append(f"{option.key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def write_config(path: Path, values: Mapping[str, Value], force: bool) -> None:
    """Write a commented config file; refuses to replace one unless ``force``."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; add --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_text(values), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot be written: {error.strerror}") from None


def describe(settings: Mapping[str, Setting], places: Places) -> str:
    """The values in force, one per line, with where each came from."""
    found = "" if places.config.exists() else " (none yet; create it with: stretch-coach config --init)"
    lines = [f"config file: {places.config}{found}", f"state file: {places.state}"]
    width = max(len(option.key) for option in OPTIONS)
    for option in OPTIONS:
        setting = settings[option.key]
        shown = "(unset)" if setting.value is None else _toml_value(setting.value)
        lines.append(f"{option.key:<{width}} = {shown:<24} # {setting.source}")
    return "\n".join(lines)
