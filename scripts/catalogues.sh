#!/usr/bin/env bash
# The message catalogues: extract every marked string from pakta's code and web templates,
# merge it into each language's .po (new strings arrive untranslated, and a test fails
# until each has its Indonesian), then compile the .mo files pakta reads.
#   bash scripts/catalogues.sh            extract, update and compile
#   bash scripts/catalogues.sh compile    compile only (what `make` runs)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
if [ "${1:-}" != compile ]; then
  "$BIN/pybabel" -q extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 -k in_language:2 -k Np_:1,2 \
    --no-location --sort-output --project pakta -o pakta/locale/pakta.pot .
  "$BIN/pybabel" -q update -i pakta/locale/pakta.pot -d pakta/locale -D pakta \
    --no-fuzzy-matching --ignore-obsolete
fi
"$BIN/pybabel" -q compile -d pakta/locale -D pakta
