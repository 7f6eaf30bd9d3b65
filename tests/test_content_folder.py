"""A content folder given with ``--content`` is used whole: its asr.toml, and its exercises in the doctor."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_content, edit, requires_espeak
from voice.apps.doctor import Verdict, check_espeak, check_phrase, check_recognizer
from voice.content import load_content
from voice.errors import ContentError
from voice.listening.engines import open_recognizer
from voice.listening.recognizer import ListenSettings

SPHINX = ListenSettings(engine="pocketsphinx")


def test_the_folders_own_asr_toml_is_the_one_read(tmp_path: Path) -> None:
    folder = copy_content(tmp_path)
    edit(folder / "asr.toml", 'piriformis = ["P IH R AH F AO R M AH S",', 'piriformis = [42,')
    with pytest.raises(ContentError, match="pronunciation of 'piriformis'") as raised:
        open_recognizer(load_content(folder), SPHINX)
    assert str(folder / "asr.toml") in str(raised.value)


def test_a_folder_without_asr_toml_listens_with_the_built_in_one(tmp_path: Path) -> None:
    folder = copy_content(tmp_path)
    (folder / "asr.toml").unlink()
    assert open_recognizer(load_content(folder), SPHINX).engine == "pocketsphinx"


def without_hamstring(tmp_path: Path) -> Path:
    """The content with the hamstring stretch taken out and the exercises after it renumbered."""
    folder = copy_content(tmp_path)
    (folder / "exercises" / "hamstring.toml").unlink()
    edit(folder / "exercises" / "transversus_abdominis.toml", "order = 4", "order = 3")
    edit(folder / "exercises" / "gluteus_medius.toml", "order = 5", "order = 4")
    return folder


def test_the_doctors_phrase_starts_the_contents_first_exercise(tmp_path: Path) -> None:
    content = load_content(without_hamstring(tmp_path))
    assert "hamstring" not in check_phrase(content)
    assert check_phrase(content) == "start piriformis stretch"


@pytest.mark.audio
@requires_espeak
def test_the_doctor_hears_a_command_of_content_without_the_hamstring_stretch(tmp_path: Path) -> None:
    content = load_content(without_hamstring(tmp_path))
    spoken, speech = check_espeak(check_phrase(content))
    assert spoken.verdict is Verdict.OK
    finding = check_recognizer(content, SPHINX, speech)
    assert finding.verdict is Verdict.OK, finding.line()
