"""The layering of DESIGN.md: only softphone/sip imports pjsua2; the core has no widgets."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources(*folders: str) -> list[Path]:
    files = [p for folder in folders for p in (ROOT / folder).rglob("*.py")]
    assert files, f"no sources under {folders}"
    return files


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def test_only_the_sip_package_imports_pjsua2() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _sources("softphone", "ui", "tests", "benchmarks")
        if "pjsua2" in {_top(n) for n in _imports(path)}
        and not path.is_relative_to(ROOT / "softphone" / "sip")
    ]
    assert offenders == []


def test_sip_package_really_is_the_one_that_does() -> None:
    # Guards the check above against a parser that finds nothing.
    assert "pjsua2" in _imports(ROOT / "softphone" / "sip" / "engine.py")


def test_ui_never_reaches_pjsua2_or_the_sip_package() -> None:
    for path in _sources("ui"):
        imported = _imports(path)
        assert "pjsua2" not in {_top(n) for n in imported}, path
        assert not any(n.startswith("softphone.sip") for n in imported), path


def test_the_core_has_no_widgets() -> None:
    for path in _sources("softphone"):
        assert not any(n.startswith("PySide6.QtWidgets") for n in _imports(path)), path


def test_every_module_opens_with_a_one_line_docstring() -> None:
    for path in _sources("softphone", "ui", "tests", "benchmarks"):
        doc = ast.get_docstring(ast.parse(path.read_text()), clean=False)
        assert doc, f"{path} has no module docstring"
        assert doc.splitlines()[0].strip(), f"{path}: the docstring's first line is empty"
