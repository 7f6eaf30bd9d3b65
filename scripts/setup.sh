#!/usr/bin/env bash
# Installs what Stretch Coach needs on Debian or Raspberry Pi OS into ./.venv.
#   scripts/setup.sh          the coach
#   scripts/setup.sh --test   the coach and everything its tests use
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    python3 python3-venv python3-pip  # the interpreter and a private environment for the coach
    libportaudio2                     # sounddevice's audio library
    libasound2-plugins                # ALSA's "pulse" device, so PortAudio reaches PulseAudio
    espeak-ng                         # the voice pyttsx3 speaks with
    alsa-utils                        # aplay/arecord, handy for checking the speaker and microphone
)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(
        pulseaudio pulseaudio-utils   # a virtual speaker and microphone (null sink) for tests
        sox                           # converts and mixes test audio
        systemd                       # systemd-analyze, to check the service unit
    )
fi

sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
sudo_if_needed apt-get update -qq
sudo_if_needed apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [[ "${1:-}" == "--test" ]]; then
    .venv/bin/python -m pip install -q -e '.[test]'
else
    .venv/bin/python -m pip install -q -e .
fi
# The English Vosk model, when the internet allows; otherwise PocketSphinx (inside its wheel) listens.
coach=.venv/bin/stretch-coach
model_url=$(.venv/bin/python -c 'from voice.models import ENGLISH; print(ENGLISH.url)')
model_zip=$(basename "$model_url")
reachable() {
    timeout 10 .venv/bin/python -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"), timeout=5)' "$1" 2>/dev/null
}
if found=$("$coach" model path 2>/dev/null); then
    echo "Vosk model already installed: $found"
elif reachable "$model_url"; then
    "$coach" model download || echo "The Vosk model download failed; PocketSphinx will listen. Try again with: $coach model download"
else
    echo "No internet for the English Vosk model: PocketSphinx will listen. To add Vosk later: $coach model download --from-file $model_zip"
fi
echo "Stretch Coach is installed in .venv (run .venv/bin/stretch-coach; check it with: .venv/bin/stretch-coach doctor)."
