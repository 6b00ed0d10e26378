"""Finds the files the softphone ships in `resources/` (disclosures, icons, style sheet)."""

from __future__ import annotations

from pathlib import Path

from softphone.media.disclosure import DisclosureSpec

BUILTIN_LANGUAGES = ("nl", "en")


def resources_dir() -> Path:
    """The `resources/` folder next to the package (source checkout or editable install)."""
    return Path(__file__).resolve().parent.parent / "resources"


def builtin_disclosure(language: str = "nl") -> DisclosureSpec:
    """The built-in disclosure in `language` (Dutch or English)."""
    if language not in BUILTIN_LANGUAGES:
        raise ValueError(f"no built-in disclosure in {language!r}: use one of {BUILTIN_LANGUAGES}")
    folder = resources_dir() / "disclosure"
    return DisclosureSpec(
        id=f"builtin-{language}-1",
        language=language,
        purpose=(folder / f"{language}.txt").read_text(encoding="utf-8").strip(),
        audio=folder / f"{language}.wav",
    )
