"""PySide6 widgets; a client of the core through signals and a small facade."""
