#!/usr/bin/env python3
"""Update and compile the window's translations (Qt Linguist tools shipped with PySide6).

    python scripts/translations.py            # lupdate: new texts into every .ts, then lrelease: every .qm
    python scripts/translations.py --compile  # lrelease only (after editing a .ts)
    python scripts/translations.py --add de   # start a new language: resources/i18n/deblur_app_de.ts

Workflow for a new or changed English text in deblur_app/gui (or a reason in deblur_app/reasons.py): run this script, translate the
messages it reports as unfinished (`pyside6-linguist resources/i18n/deblur_app_zh_CN.ts`, or any
text editor: fill <translation> and delete its type="unfinished"), then run it again with
--compile and commit the .ts and .qm files. tests/test_translations.py fails while a text of the
window is missing, unfinished or out of date in a committed translation.

The .ts files carry no source locations (-locations none), so a moved line does not change them.
deblur_app_en.ts holds only messages with plural forms (-pluralonly): the English texts are the
source strings themselves, but "%n photo(s)" needs its English singular and plural.
The compiled .qm files are committed, so a checkout runs without a build step.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "deblur_app" / "gui",  # every translatable text of the window lives in its package,
           REPO / "deblur_app" / "reasons.py"]  # and the core's one-line reasons, translated by gui/reasons.py
TRANSLATIONS = REPO / "resources" / "i18n"
CATALOG = "deblur_app"
PLURAL_ONLY = {"en"}  # the source language: only its plural forms need a translation
LUPDATE_OPTIONS = ["-extensions", "py", "-locations", "none", "-no-obsolete", "-silent"]


def qt_tool(name: str) -> str:
    """The path of PySide6's `lupdate` or `lrelease`."""
    wrapper = shutil.which(f"pyside6-{name}")
    if wrapper:
        return wrapper
    import PySide6

    folder = Path(PySide6.__file__).resolve().parent
    for candidate in (folder / name, folder / f"{name}.exe", folder / "Qt" / "libexec" / name):
        if candidate.is_file():
            return str(candidate)
    raise SystemExit(f"translations: PySide6's {name} was not found (pip install PySide6-Essentials)")


def ts_files() -> list[Path]:
    return sorted(TRANSLATIONS.glob(f"{CATALOG}_*.ts"))


def language_of(ts: Path) -> str:
    return ts.stem.removeprefix(f"{CATALOG}_")


def lupdate(ts: Path, plural_only: bool = False) -> None:
    """Merge the texts found in SOURCES into ``ts`` (created if missing)."""
    # options first: lupdate reads -extensions only for the paths after it
    command = [qt_tool("lupdate"), *LUPDATE_OPTIONS, "-source-language", "en", "-target-language", language_of(ts)]
    if plural_only:
        command.append("-pluralonly")
    subprocess.run([*command, *map(str, SOURCES), "-ts", str(ts)], check=True)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([qt_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def unfinished(ts: Path) -> list[str]:
    """The source texts of ``ts`` still waiting for a translation."""
    waiting = []
    for message in ET.parse(ts).getroot().iter("message"):
        translation = message.find("translation")
        forms = [translation.text] if message.get("numerus") != "yes" else \
            [form.text for form in translation.iter("numerusform")]
        if translation.get("type") == "unfinished" or not all(forms):
            waiting.append(message.findtext("source"))
    return waiting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compile", action="store_true", help="only compile the .ts files into .qm")
    parser.add_argument("--add", metavar="LANGUAGE", help="start a translation, e.g. de or pt_BR")
    args = parser.parse_args(argv)
    if args.add:
        ts = TRANSLATIONS / f"{CATALOG}_{args.add}.ts"
        if ts.exists():
            raise SystemExit(f"translations: {ts} exists already")
        lupdate(ts)
    files = ts_files()
    if not args.compile:
        for ts in files:
            lupdate(ts, plural_only=language_of(ts) in PLURAL_ONLY)
    missing = 0
    for ts in files:
        lrelease(ts, ts.with_suffix(".qm"))
        waiting = unfinished(ts)
        missing += len(waiting)
        print(f"{ts.relative_to(REPO)}: {len(waiting)} unfinished" + "".join(f"\n    {text!r}" for text in waiting))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
