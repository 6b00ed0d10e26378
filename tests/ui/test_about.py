"""Help > About shows the version that pyproject.toml gives, as `softphone --version` does."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PySide6.QtWidgets import QMenu, QMenuBar

from tests.ui.conftest import Agent

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_help_about_names_the_version(agent: Agent) -> None:
    version = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    menu_bar = agent.window.menuBar()
    assert isinstance(menu_bar, QMenuBar)
    menus = [a.menu() for a in menu_bar.actions()]
    help_menu = next(m for m in menus if isinstance(m, QMenu) and m.title() == "&Help")
    about = next(a for a in help_menu.actions() if a.text() == "&About Softphone")
    about.trigger()
    box = agent.window.about_box
    assert box is not None and box.isVisible()
    assert box.windowTitle() == "About Softphone"
    assert box.text().splitlines()[0] == f"Softphone {version}"
    box.accept()
