#!/usr/bin/env bash
# Bring the translation sources (resources/translations/softphone_*.ts) in line with the texts
# in ui/*.py, then compile each to the .qm file the window loads. Run it after changing a text in
# ui/, translate what is new (pyside6-linguist, or in the .ts by hand), run it again, and commit
# both: the .qm files are committed so that a fresh clone shows its languages without a build.
# English is the source language and needs no file. Tools: pyside6-lupdate and pyside6-lrelease
# of PySide6-Essentials, from the runtime venv (SOFTPHONE_VENV, default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SOFTPHONE_VENV:-.venv}/bin
for tool in pyside6-lupdate pyside6-lrelease; do
    [[ -x $bin/$tool ]] || { echo "update_translations.sh: $bin/$tool not found" >&2; exit 1; }
done
for ts in resources/translations/softphone_*.ts; do
    # No source locations: line numbers would change the file on every edit of ui/.
    "$bin/pyside6-lupdate" -silent -no-obsolete -locations none ui/*.py -ts "$ts"
    "$bin/pyside6-lrelease" -silent "$ts" -qm "${ts%.ts}.qm"
done
