"""Vosk models: where they are looked for, and a checked download of the English one."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import platformdirs

from voice import APP_NAME
from voice.errors import ModelError
from voice.private import data_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelPin:
    """A model archive we trust: where it is, how big it is and its checksum."""

    name: str
    """Folder name inside the archive, and of the installed model."""
    url: str
    """Where to download the archive."""
    size: int
    """Exact size of the archive in bytes."""
    sha256: str
    """SHA-256 of the archive, lower-case hex."""


ENGLISH = ModelPin(
    name="vosk-model-small-en-us-0.15",
    url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
    size=41_205_931,
    sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
)
"""The small US-English Vosk model (Apache-2.0)."""

REQUIRED_FILES = ("am/final.mdl", "conf/model.conf")
"""Files every Vosk model folder has."""

CHUNK = 1 << 16


def checkout_models_dir() -> Path | None:
    """The ``models/`` folder of the source checkout the package runs from; None when installed."""
    root = Path(__file__).resolve().parents[2]
    return root / "models" if (root / "pyproject.toml").is_file() else None


def user_models_dir() -> Path:
    """Where downloaded models go: the user's data folder (``~/.local/share/stretch-coach/models``)."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "models"


def search_places(explicit: Path | None = None) -> list[Path]:
    """Where a Vosk model is looked for, first match wins."""
    places = [explicit] if explicit else []
    if os.environ.get("VOSK_MODEL_PATH"):
        places.append(Path(os.environ["VOSK_MODEL_PATH"]))
    checkout = checkout_models_dir()
    places += [
        *([checkout] if checkout else []), user_models_dir(),
        Path.home() / ".cache" / "vosk", Path("/usr/share/vosk"),
    ]
    return places


def is_model_folder(path: Path) -> bool:
    """True when ``path`` holds a complete Vosk model."""
    return all((path / name).is_file() for name in REQUIRED_FILES)


def _candidates(place: Path) -> Iterator[Path]:
    yield place
    if place.is_dir():
        yield from sorted(child for child in place.iterdir() if child.is_dir() and "en" in child.name)


def find_model(explicit: Path | None = None) -> Path | None:
    """The first complete English Vosk model found; an explicit path that is unusable is an error."""
    if explicit is not None:
        if not explicit.exists():
            raise ModelError(f"{explicit}: no such model folder")
        if not is_model_folder(explicit):
            missing = [name for name in REQUIRED_FILES if not (explicit / name).is_file()]
            raise ModelError(f"{explicit}: not a complete Vosk model (missing {', '.join(missing)})")
        return explicit
    for place in search_places():
        for candidate in _candidates(place):
            if is_model_folder(candidate):
                return candidate
    return None


def _progress(done: int, total: int, out: IO[str]) -> None:
    width = 30
    filled = width * done // total if total else width
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done / 1e6:5.1f} / {total / 1e6:.1f} MB")
    out.flush()


def _fetch(pin: ModelPin, target: Path, progress: IO[str] | None) -> None:
    """Stream the archive to ``target``, checking size and checksum as it arrives."""
    digest = hashlib.sha256()
    received = 0
    try:
        with urllib.request.urlopen(pin.url, timeout=30) as response, target.open("wb") as out:
            while chunk := response.read(CHUNK):
                received += len(chunk)
                if received > pin.size:
                    raise ModelError(f"{pin.url}: the download is larger than the expected {pin.size} bytes")
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    _progress(received, pin.size, progress)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise ModelError(
            f"cannot download {pin.url} ({reason}); with no internet here, fetch the file elsewhere "
            f"and install it with: stretch-coach model download --from-file {pin.name}.zip"
        ) from None
    finally:
        if progress is not None and received:
            progress.write("\n")
    _check(pin, received, digest.hexdigest(), pin.url, downloaded=True)


def _check(pin: ModelPin, size: int, sha256: str, source: str, downloaded: bool = False) -> None:
    if size == pin.size and sha256 == pin.sha256:
        return
    if downloaded and size < pin.size:
        raise ModelError(f"{source}: got {size} bytes, expected {pin.size}; the download is incomplete")
    if not sha256:
        raise ModelError(f"{source}: checksum mismatch: {size} bytes, expected {pin.size} (not hashed); "
                         f"this is not the archive {pin.name}.zip")
    raise ModelError(
        f"{source}: checksum mismatch: SHA-256 {sha256[:12]}… ({size} bytes), expected {pin.sha256[:12]}… "
        f"({pin.size} bytes); this is not the archive {pin.name}.zip"
    )


def verify_archive(pin: ModelPin, archive: Path) -> None:
    """Check an archive's size and checksum against the pin."""
    try:
        with archive.open("rb") as handle:
            _verify_open(pin, handle, str(archive))
    except OSError as error:
        raise ModelError(f"{archive}: cannot be read: {error.strerror}") from None


def _verify_open(pin: ModelPin, handle: IO[bytes], source: str) -> None:
    """Check an open archive: its size first (a wrong one is not read at all), then its checksum."""
    size = os.fstat(handle.fileno()).st_size
    if size != pin.size:
        _check(pin, size, "", source)
    digest = hashlib.sha256()
    handle.seek(0)
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    _check(pin, size, digest.hexdigest(), source)
    handle.seek(0)


def _unpack(pin: ModelPin, archive: Path | IO[bytes], destination: Path, source: str) -> Path:
    """Unpack into a temporary folder beside the destination, then rename into place."""
    final = destination / pin.name
    with tempfile.TemporaryDirectory(dir=destination, prefix=".unpack-") as scratch:
        try:
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(scratch)
        except zipfile.BadZipFile:
            raise ModelError(f"{source}: not a zip archive") from None
        unpacked = Path(scratch) / pin.name
        if not is_model_folder(unpacked):
            raise ModelError(f"{source}: the archive holds no complete model folder '{pin.name}'")
        if final.exists():
            shutil.rmtree(final)
        unpacked.rename(final)
    return final


def install(
    pin: ModelPin = ENGLISH, destination: Path | None = None, from_file: Path | None = None,
    progress: IO[str] | None = sys.stderr,
) -> Path:
    """Download (or take ``from_file``), verify, unpack; a model folder appears only when all passed."""
    if destination is None:
        destination = user_models_dir()
        with suppress(OSError):  # the data folder also holds the history: owner-only
            data_folder(destination.parent)
    try:
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelError(f"{destination}: cannot make the model folder here: {error.strerror}") from None
    if from_file is not None:  # checked and unpacked from one open file: nothing can swap it between
        try:
            with from_file.open("rb") as handle:
                _verify_open(pin, handle, str(from_file))
                return _unpack(pin, handle, destination, str(from_file))
        except OSError as error:
            raise ModelError(f"{from_file}: cannot be read: {error.strerror}") from None
    partial = destination / f".{pin.name}.zip.part"
    archive = destination / f"{pin.name}.zip"
    try:
        _fetch(pin, partial, progress)
        partial.rename(archive)  # only a checked archive ever carries the real name
    finally:
        partial.unlink(missing_ok=True)
    return _unpack(pin, archive, destination, str(archive))


@contextmanager
def _native_errors_captured() -> Iterator[IO[bytes]]:
    """Catch what native code writes to the error stream (Kaldi ignores Vosk's log level for errors)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def check_loads(path: Path) -> None:
    """Load the model with Vosk, as the coach would; a folder that does not load is a ModelError."""
    try:
        import vosk
    except (ImportError, OSError) as error:
        raise ModelError(f"cannot check {path}: the vosk package does not load ({error})") from None
    vosk.SetLogLevel(-1)
    with _native_errors_captured() as captured:
        try:
            vosk.Model(str(path))
            return
        except Exception:  # vosk raises a bare Exception when the model cannot be loaded
            captured.seek(0)
            said = [line for line in captured.read().decode(errors="replace").splitlines() if line.strip()]
    detail = f" ({said[0][:160]})" if said else ""
    raise ModelError(f"{path}: Vosk cannot load this model, it is damaged or incomplete{detail}; "
                     "get a fresh copy with: stretch-coach model download")


def verify(model: Path | None = None, pin: ModelPin = ENGLISH) -> Path:
    """Check the model folder really loads, and its archive when one lies beside it."""
    found = find_model(model)
    if found is None:
        raise ModelError(f"no Vosk model found (looked in {', '.join(map(str, search_places()))}); "
                         "get one with: stretch-coach model download")
    archive = found.parent / f"{pin.name}.zip"
    if found.name == pin.name and archive.exists():
        verify_archive(pin, archive)
    check_loads(found)
    return found
