#!/usr/bin/env bash
# Installs what Stretch Coach needs on Debian or Raspberry Pi OS into ./.venv.
#   scripts/setup.sh          the coach
#   scripts/setup.sh --test   the coach and everything its tests use
#   scripts/setup.sh --bench  the same (the voices of the recognition benchmark, make_dev_audio.py, are test voices)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    python3 python3-venv python3-pip  # the interpreter and a private environment for the coach
    libportaudio2                     # sounddevice's audio library
    libasound2-plugins                # ALSA's "pulse" device, so PortAudio reaches PulseAudio
    espeak-ng                         # the voice pyttsx3 speaks with
    alsa-utils                        # aplay/arecord, handy for checking the speaker and microphone
    sphinxtrain sphinxbase-utils pocketsphinx  # voice enrolment: adapting PocketSphinx's model to a voice
)
if [[ "${1:-}" == "--test" || "${1:-}" == "--bench" ]]; then
    packages+=(
        pulseaudio pulseaudio-utils   # a virtual speaker and microphone (null sink) for tests
        sox                           # converts and mixes test audio
        systemd                       # systemd-analyze, to check the service unit
        flite                         # the development voices: "stop" is heard in every one of them
        festival festvox-kallpc16k festvox-kdlpc16k
    )
fi

sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
sudo_if_needed apt-get update -qq
sudo_if_needed apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Python packages come from the lock files, every file checked against its SHA-256 (x86-64 and aarch64
# wheels alike), built (the one without a wheel, srt) with the locked setuptools rather than a fetched one;
# the coach itself is then installed without resolving anything more.
lock=requirements-lock.txt
if [[ "${1:-}" == "--test" || "${1:-}" == "--bench" ]]; then
    lock=requirements-test-lock.txt
fi
.venv/bin/python -m pip install -q --require-hashes -r requirements-build-lock.txt  # builds what has no wheel
.venv/bin/python -m pip install -q --require-hashes --no-build-isolation -r "$lock"
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
scripts/install_vosk_model.sh
echo "Stretch Coach is installed in .venv (run .venv/bin/stretch-coach; check it with: .venv/bin/stretch-coach doctor)."
