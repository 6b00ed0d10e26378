"""The window's language: Qt translators for ours and Qt's own texts, switched while it runs.

English is the source language, so English needs no translator; any other language loads
`softphone_<lang>.qm` from resources/translations and Qt's `qtbase_<lang>.qm` (its dialogs'
buttons). Installing or removing a translator sends every widget a LanguageChange event, which
the window answers by re-reading its texts. The app makes one at start,
`Translations(app).use(settings.ui.language)`, and gives its `use` to the settings dialog
(`SettingsAccess.use_language`), so a language chosen there applies at once.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from softphone.config.policy import resources_dir

log = logging.getLogger("softphone.ui")

SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "nl")
"""The languages the window speaks; the preference "" means the system's, if it is one."""
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands"}
"""Each language by its own name, as an agent looks for it in a list whatever is shown now."""
FOLDER = resources_dir() / "translations"


def system_language() -> str:
    """The system's language as a two-letter code ("nl" for nl_BE)."""
    return QLocale.system().name().split("_", 1)[0]


def chosen_language(preference: str) -> str:
    """The language to show for the `ui.language` preference ("" = the system's)."""
    wanted = (preference or system_language()).split("-", 1)[0].lower()
    return wanted if wanted in LANGUAGES else SOURCE_LANGUAGE


class Translations:
    """The application's translators; `use` switches the language (idempotent)."""

    def __init__(self, app: QCoreApplication, folder: Path = FOLDER) -> None:
        self._app = app
        self._folder = folder
        self._installed: list[QTranslator] = []
        self.language = SOURCE_LANGUAGE

    def use(self, preference: str) -> str:
        """Show the window in the language `preference` asks for; the language now in use."""
        language = chosen_language(preference)
        if language == self.language:
            return language
        for translator in self._installed:
            self._app.removeTranslator(translator)
        self._installed = []
        self.language = language
        if language != SOURCE_LANGUAGE:
            qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            for name, folder in (("softphone", str(self._folder)), ("qtbase", qt_folder)):
                translator = QTranslator(self._app)
                if translator.load(f"{name}_{language}", folder):
                    self._app.installTranslator(translator)
                    self._installed.append(translator)
                else:
                    log.warning("no %s translation for %s in %s", name, language, folder)
        return language
