#!/usr/bin/env bash
# Builds the wheel, installs it into a fresh environment outside the checkout, and checks from another
# folder that the installed tool simulates a session and recognises a spoken command.
set -euo pipefail
checkout="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$checkout/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m pip wheel --no-deps --no-build-isolation -q -w "$work/dist" "$checkout"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --require-hashes -r "$checkout/requirements-build-lock.txt"
"$work/venv/bin/python" -m pip install -q --require-hashes --no-build-isolation -r "$checkout/requirements-lock.txt"
"$work/venv/bin/python" -m pip install -q --no-deps "$work"/dist/stretch_coach-*.whl
cd "$work"
installed="$("$work/venv/bin/python" -c 'import voice; print(voice.__file__)')"
[[ "$installed" == "$work/venv/"* ]] || { echo "FAIL: voice imported from $installed"; exit 1; }

printf '# a short session\n1 start hamstring stretch\n20 stop\n' > session.txt
"$work/venv/bin/stretch-coach" simulate session.txt > events.jsonl
espeak-ng -v en-us -w command.wav "start the hamstring stretch"
"$work/venv/bin/stretch-coach" recognize --json command.wav > recognised.jsonl
"$work/venv/bin/stretch-coach" enrol --prompts > prompts.tsv
grep -q "^garden"$'\t' prompts.tsv || { echo "FAIL: no enrolment sentences in the installed wheel"; exit 1; }

"$work/venv/bin/python" - <<'CHECK'
import json
events = [json.loads(line) for line in open("events.jsonl")]
heard = [(e["intent"], e["exercise"]) for e in events if e["type"] == "heard"]
assert heard == [("start", "hamstring"), ("stop", None)], f"simulate heard {heard}"
assert any(e["type"] == "state" and e.get("exercise") == "hamstring" for e in events), "no hamstring state"
print(f"simulate: {len(events)} events, heard {heard}")
(result,) = [json.loads(line) for line in open("recognised.jsonl")]
assert (result["intent"], result["exercise"]) == ("start", "hamstring"), f"recognize gave {result}"
print(f"recognize: {result}")
CHECK
echo "The installed wheel works outside the checkout ($installed)."
