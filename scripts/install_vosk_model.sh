#!/usr/bin/env bash
# The English Vosk model, when the internet allows; otherwise one line saying PocketSphinx (inside its
# wheel) will listen and how to add Vosk later. Never fails the set-up. Run by scripts/setup.sh.
set -uo pipefail
cd "$(dirname "$0")/.."

coach=.venv/bin/stretch-coach
model_url=$(.venv/bin/python -c 'from voice.listening.models import ENGLISH; print(ENGLISH.url)')
model_zip=$(basename "$model_url")

reachable() {  # a quick look before a download that may take minutes
    timeout 10 .venv/bin/python -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"), timeout=5)' "$1" 2>/dev/null
}

if found=$("$coach" model path 2>/dev/null); then
    echo "Vosk model already installed: $found"
elif reachable "$model_url"; then
    "$coach" model download >/dev/null \
        || echo "The Vosk model download failed; PocketSphinx will listen. Try again with: $coach model download"
else
    echo "No internet for the English Vosk model: PocketSphinx will listen. To add Vosk later: $coach model download --from-file $model_zip"
fi
exit 0
