"""``stretch-coach enrol``: teach the recogniser this person's voice (sentences read aloud), or forget it."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from voice.errors import CoachError

if TYPE_CHECKING:  # the enrolment modules load only when a command needs them
    from voice.enrolment.build import Built
    from voice.listening.recognizer import Adaptation, ListenSettings
    from voice.speech.synthesis import SpeechSettings

log = logging.getLogger(__name__)

DEFAULT_METHOD = "mllr"
"""The adaptation shipped (docs/recognition.md, "Personal voice enrolment")."""


def add_arguments(enrol: argparse.ArgumentParser) -> None:
    """The options of ``stretch-coach enrol``."""
    what = enrol.add_mutually_exclusive_group()
    what.add_argument("--prompts", action="store_true", help="print the sentences: ID<TAB>sentence per line")
    what.add_argument(
        "--from-folder", type=Path, metavar="DIR", help="build the profile from DIR/ID.wav files"
    )
    what.add_argument("--forget", action="store_true", help="delete the voice profile and its recordings")
    enrol.add_argument("--yes", action="store_true", help="with --forget: do not ask")
    enrol.add_argument(
        "--method", default=DEFAULT_METHOD, help=argparse.SUPPRESS
    )  # mllr or map, for measuring


def run_enrol(
    args: argparse.Namespace,
    content_dir: Path | None,
    listen: ListenSettings,
    speech: SpeechSettings,
    output_device: str | None,
) -> int:
    """``stretch-coach enrol``: from a folder, the sentences, forget, or read aloud to the coach."""
    options = EnrolOptions(
        prompts=args.prompts,
        from_folder=args.from_folder,
        forget=args.forget,
        yes=args.yes,
        method=args.method,
        content_dir=content_dir,
    )
    done = run_enrol_offline(options, sys.stdin, sys.stdout)
    if done is not None:
        return done
    from voice.apps.enrol_live import run_enrol_live

    return run_enrol_live(options, listen, speech, output_device, sys.stdout)


@dataclass(frozen=True)
class EnrolOptions:
    """What ``stretch-coach enrol`` was asked to do."""

    prompts: bool = False
    """Print the sentences (``ID<TAB>sentence``) and stop."""
    from_folder: Path | None = None
    """Build the profile from ID.wav files in this folder, without a microphone."""
    forget: bool = False
    """Delete the profile and its recordings."""
    yes: bool = False
    """With ``forget``: do not ask."""
    method: str = DEFAULT_METHOD
    """Adaptation method."""
    content_dir: Path | None = None
    """Content folder (its enrolment.toml), or None for the built-in one."""
    profile: Path | None = None
    """The profile folder; None for the one in the person's data folder."""


def run_enrol_offline(options: EnrolOptions, stdin: IO[str], stdout: IO[str]) -> int | None:
    """``--prompts``, ``--from-folder`` and ``--forget``; None when the live enrolment should run."""
    from voice.enrolment.adapt import METHODS
    from voice.enrolment.build import BuildSettings, build_profile
    from voice.enrolment.prompts import load_prompts
    from voice.enrolment.store import default_profile_folder

    if options.method not in METHODS:
        raise CoachError(f"unknown adaptation method '{options.method}'; choose one of: {', '.join(METHODS)}")
    folder = options.profile or default_profile_folder()
    if options.prompts:
        stdout.writelines(f"{p.sentence_id}\t{p.text}\n" for p in load_prompts(options.content_dir))
        return 0
    if options.forget:
        return _forget(folder, options.yes, stdin, stdout)
    if options.from_folder is not None:
        if not options.from_folder.is_dir():
            raise CoachError(
                f"{options.from_folder}: no such folder (it should hold ID.wav files; "
                "see stretch-coach enrol --prompts)"
            )
        settings = BuildSettings(method=options.method, content_dir=options.content_dir)
        built = build_profile(
            options.from_folder, folder, settings, report=lambda line: log.warning("%s", line)
        )
        stdout.write(outcome_line(built, folder) + "\n")
        return 0
    return None


def outcome_line(built: Built, folder: Path) -> str:
    """One line saying what the build made of the recordings."""
    figures = (
        f"held-back word errors {built.held_back_before:.0%} without it, {built.held_back_after:.0%} with it"
    )
    if built.adaptation is None:
        return (
            f"voice profile not switched on: it made recognition of your own held-back recordings worse "
            f"({figures}); recordings kept in {folder}"
        )
    return f"voice profile built from {built.usable} recordings and switched on ({figures}): {folder}"


def _forget(folder: Path, yes: bool, stdin: IO[str], stdout: IO[str]) -> int:
    from voice.enrolment.store import forget, recordings_folder

    if not folder.exists():
        stdout.write(f"Nothing to forget ({folder} does not exist).\n")
        return 0
    if not yes:
        count = len(list(recordings_folder(folder).glob("*.wav")))
        stdout.write(
            f"Delete your voice profile and its {count} recordings in {folder}? Type yes to confirm: "
        )
        stdout.flush()
        if stdin.readline().strip().lower() not in ("y", "yes"):
            stdout.write("Nothing was deleted.\n")
            return 1
    forget(folder)
    stdout.write(f"Deleted the voice profile and its recordings ({folder}).\n")
    return 0


def profile_in_use(use: bool, folder: Path | None = None) -> Adaptation | None:
    """The voice profile to listen with: None with ``--no-profile`` or without one."""
    from voice.enrolment.store import default_profile_folder, load_adaptation, read_info

    if not use:
        log.info("voice profile ignored (--no-profile)")
        return None
    folder = folder or default_profile_folder()
    try:
        adaptation = load_adaptation(folder)
    except CoachError as error:  # the coach still listens, as it would without a profile
        log.warning("voice profile not used: %s", error)
        return None
    if adaptation is not None:
        log.info("using your voice profile (%s)", adaptation.mllr or adaptation.hmm)
    elif read_info(folder) is not None:
        log.info(
            "voice profile in %s is not switched on (it did not help on your held-back recordings)", folder
        )
    return adaptation
