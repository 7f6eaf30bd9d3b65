"""The recogniser in its own process: results as in process, errors carried over, a dead worker replaced."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import requires_espeak
from voice.content import Content, load_content
from voice.errors import ModelError
from voice.listening.engines.asr_data import load_asr_data
from voice.listening.engines.sphinx_engine import SphinxRecognizer
from voice.listening.recognizer import ListenSettings
from voice.listening.worker import RecognizerProcess
from voice.pcm import TARGET_RATE, read_wav_pcm16k
from voice.testing.audio import espeak_wav

SPHINX = ListenSettings(engine="pocketsphinx")


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def worker(content: Content) -> Iterator[RecognizerProcess]:
    with RecognizerProcess(content, SPHINX) as recognizer:
        yield recognizer


def decode(recognizer: RecognizerProcess | SphinxRecognizer, pcm: bytes) -> str:
    recognizer.reset()
    for start in range(0, len(pcm), 3200):  # in blocks, as the listener passes them on
        recognizer.accept(pcm[start : start + 3200])
    return recognizer.final().text


@requires_espeak
@pytest.mark.audio
@pytest.mark.parametrize("text", ["start the hamstring stretch", "stop", "what time is it"])
def test_the_worker_hears_what_the_engine_hears_in_process(
    worker: RecognizerProcess, content: Content, tmp_path: Path, text: str
) -> None:
    pcm = read_wav_pcm16k(espeak_wav(tmp_path, text, pad=0.3))
    in_process = SphinxRecognizer.for_content(content, load_asr_data())
    assert decode(worker, pcm) == decode(in_process, pcm)
    assert worker.engine == "pocketsphinx" and "US-English" in worker.model


def test_waiting_for_the_worker_lets_other_threads_run(worker: RecognizerProcess) -> None:
    """The point of the worker: a decode in the engine must not stop this process's audio threads."""
    ticks = 0
    ticking, stop = threading.Event(), threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            ticking.set()
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    assert ticking.wait(10)
    noise = os.urandom(TARGET_RATE * 2 * 4)  # four seconds of loud noise: a long decode
    worker.accept(noise)
    before = ticks
    worker.final()
    during = ticks - before
    stop.set()
    ticker.join()
    # Had the decode held this process's interpreter lock, the other thread could not have run.
    assert during >= 3, f"the other thread ran {during} times while the worker decoded"


def test_an_unusable_model_gives_its_one_line_error_from_the_worker(content: Content, tmp_path: Path) -> None:
    settings = ListenSettings(engine="vosk", model=tmp_path / "missing")
    with pytest.raises(ModelError, match="missing: no such model folder"):
        RecognizerProcess(content, settings)


def wait_until_dead(pid: int) -> None:
    """Wait until the process is gone, or a zombie whose threads have all ended (killed, not yet reaped
    by its parent): before that its leader thread shows as a zombie while the others still tear down."""
    proc = Path(f"/proc/{pid}")
    for _ in range(1000):
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            threads = len(list((proc / "task").iterdir()))
        except FileNotFoundError:
            return
        if state == "Z" and threads <= 1:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} is still running")


@requires_espeak
@pytest.mark.audio
def test_a_worker_that_dies_is_replaced_and_listening_goes_on(content: Content, tmp_path: Path) -> None:
    pcm = read_wav_pcm16k(espeak_wav(tmp_path, "next step", pad=0.3))
    with RecognizerProcess(content, SPHINX) as recognizer:
        first = recognizer.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_until_dead(first)
        assert decode(recognizer, pcm) == "next step"  # found dead at the utterance's start, replaced
        assert recognizer.pid not in (None, first)


def test_close_ends_the_worker(content: Content) -> None:
    recognizer = RecognizerProcess(content, SPHINX)
    pid = recognizer.pid
    assert pid is not None
    recognizer.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
