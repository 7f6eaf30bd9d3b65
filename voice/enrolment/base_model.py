"""The PocketSphinx wheel's model, made trainable: a text ``mdef`` and float ``mixture_weights``.

The wheel ships a binary ``mdef`` (sphinxtrain reads only text) and 8-bit ``sendump`` mixture weights
(sphinxtrain needs floats). Each sendump byte v stands for p = 1.0001 ** -(v << 10); renormalised per
senone and stream, these floats give back the shipped sendump byte for byte through ``mk_s2sendump``.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voice.enrolment.tools import Tools
from voice.errors import ModelError

COPIED = ("means", "variances", "transition_matrices", "noisedict", "feat.params")
"""Files of the model used as they are."""

LOG_BASE = 1.0001
SENDUMP_SHIFT = 10
"""PocketSphinx keeps mixture weights as -log base 1.0001, shifted right by 10 bits, in a byte."""

S3_MAGIC = 0x11223344
"""Byte-order mark after a sphinxtrain file's text header."""


def wheel_model() -> Path:
    """The acoustic model folder inside the pocketsphinx wheel."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path("en-us/en-us"))


def wheel_dictionary() -> Path:
    """The pronouncing dictionary inside the pocketsphinx wheel."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"))


def read_sendump(path: Path) -> npt.NDArray[np.uint8]:
    """The 8-bit weights of a sendump file as [stream][density][senone]."""
    blob = path.read_bytes()
    offset, streams = 0, 0
    while True:
        (length,) = struct.unpack_from("<i", blob, offset)
        offset += 4
        if length == 0:
            break
        text = blob[offset : offset + length].rstrip(b"\0").decode("ascii", "replace")
        offset += length
        if text.startswith("feature_count "):
            streams = int(text.split()[1])
    densities, senones = struct.unpack_from("<ii", blob, offset)
    offset += 8
    size = streams * densities * senones
    if not streams or len(blob) - offset < size:
        raise ModelError(f"{path}: not a sendump file PocketSphinx's tools can read")
    data = np.frombuffer(blob, dtype=np.uint8, count=size, offset=offset)
    return data.reshape(streams, densities, senones)


def mixture_weights(sendump: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Float mixture weights [senone][stream][density], each senone's stream summing to 1."""
    logs = sendump.astype(np.float64) * (1 << SENDUMP_SHIFT) * np.log(LOG_BASE)
    weights = np.exp(-logs).transpose(2, 0, 1)
    weights /= weights.sum(axis=2, keepdims=True)
    floats: npt.NDArray[np.float32] = weights.astype(np.float32)
    return floats


def write_mixture_weights(path: Path, weights: npt.NDArray[np.float32]) -> None:
    """A sphinxtrain ``mixture_weights`` file (version 1.0, no checksum)."""
    senones, streams, densities = weights.shape
    header = b"s3\nversion 1.0\nendhdr\n"
    sizes = struct.pack("<IIIII", S3_MAGIC, senones, streams, densities, weights.size)
    path.write_bytes(header + sizes + weights.astype("<f4").tobytes())


def trainable_copy(tools: Tools, folder: Path) -> Path:
    """A copy of the wheel's model in ``folder`` that sphinxtrain can adapt; returns ``folder``."""
    source = wheel_model()
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(source / name, folder / name)
    tools.run("pocketsphinx_mdef_convert", "-text", source / "mdef", folder / "mdef.txt")
    write_mixture_weights(folder / "mixture_weights", mixture_weights(read_sendump(source / "sendump")))
    return folder
