"""The voice profile on disk: beside the history, private to the person, versioned, with its recordings.

voice-profile/            0700
    profile.json          version, method, whether it is switched on, the sentences and their ids
    mllr_matrix | hmm/    the adaptation (MLLR transform, or MAP-adapted model)
    recordings/ID.wav     the kept recordings (16 kHz mono), so a newer coach can rebuild the profile
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from voice import APP_NAME
from voice.enrolment.adapt import MAP, MAP_FOLDER, MLLR, MLLR_FILE, write_wav16k
from voice.errors import CoachError
from voice.listening.recognizer import Adaptation
from voice.private import data_folder, open_private, private_folder, restrict

PROFILE_VERSION = 1
"""Version of the profile's layout; a coach refuses (and offers to rebuild) newer ones."""

PROFILE_FILE = "profile.json"
RECORDINGS = "recordings"


class ProfileError(CoachError):
    """The voice profile cannot be used."""


@dataclass(frozen=True)
class ProfileInfo:
    """What profile.json says."""

    version: int
    """PROFILE_VERSION of the coach that wrote it."""
    method: str
    """``mllr`` or ``map``."""
    active: bool
    """Whether it is switched on (it did not make the held-back recordings worse)."""
    sentences: dict[str, str]
    """Id to sentence of every kept recording."""
    held_back_before: float
    """Word error rate on the held-back recordings without the profile."""
    held_back_after: float
    """The same with a profile built without them."""


def default_profile_folder() -> Path:
    """The voice profile folder in the person's data folder (beside the history)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "voice-profile"


def recordings_folder(folder: Path) -> Path:
    """Where the kept recordings are."""
    return folder / RECORDINGS


def save_recording(folder: Path, sentence_id: str, pcm: bytes) -> Path:
    """Keep one recording (16 kHz mono) privately; returns its file."""
    target = recordings_folder(folder)
    data_folder(folder)
    private_folder(target)
    path = target / f"{sentence_id}.wav"
    with open_private(path, "wb"):
        pass  # created owner-only before any sound is written into it
    write_wav16k(path, pcm)
    return path


def save_profile(folder: Path, info: ProfileInfo, adaptation: Path) -> None:
    """Store the profile: the adaptation (a file or a folder) and profile.json, all owner-only."""
    data_folder(folder)
    for old in (folder / MLLR_FILE, folder / MAP_FOLDER):
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    target = folder / adaptation.name
    if adaptation.is_dir():
        private_folder(target)
        for item in adaptation.iterdir():
            shutil.copyfile(item, target / item.name)
            restrict(target / item.name)
    else:
        shutil.copyfile(adaptation, target)
        restrict(target)
    with open_private(folder / PROFILE_FILE, "w") as out:
        json.dump(asdict(info), out, indent=1)


def read_info(folder: Path) -> ProfileInfo | None:
    """The profile's description, None when there is no profile; ProfileError when damaged or newer."""
    path = folder / PROFILE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = ProfileInfo(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        raise ProfileError(
            f"{path}: damaged voice profile ({error}); enrol again or remove it with "
            "'stretch-coach enrol --forget'"
        ) from None
    if info.version > PROFILE_VERSION:
        raise ProfileError(
            f"{path}: made by a newer coach (version {info.version}); rebuild it with "
            f"'stretch-coach enrol --from-folder {recordings_folder(folder)}'"
        )
    if info.method not in (MLLR, MAP):
        raise ProfileError(f"{path}: unknown adaptation '{info.method}'; enrol again")
    return info


def load_adaptation(folder: Path) -> Adaptation | None:
    """The profile to decode with, None when there is none or it is not switched on."""
    info = read_info(folder)
    if info is None or not info.active:
        return None
    if info.method == MAP:
        if not (folder / MAP_FOLDER / "means").is_file():
            raise ProfileError(f"{folder / MAP_FOLDER}: voice profile incomplete; enrol again")
        return Adaptation(hmm=folder / MAP_FOLDER)
    if not (folder / MLLR_FILE).is_file():
        raise ProfileError(f"{folder / MLLR_FILE}: voice profile incomplete; enrol again")
    return Adaptation(mllr=folder / MLLR_FILE)


def profile_size(folder: Path) -> int:
    """Bytes of the adaptation itself (without the recordings)."""
    paths = [folder / MLLR_FILE, *(folder / MAP_FOLDER).glob("*")]
    return sum(path.stat().st_size for path in paths if path.is_file())


def forget(folder: Path) -> bool:
    """Delete the profile and its recordings; False when there was nothing."""
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True
