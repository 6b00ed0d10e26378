"""The layering of DESIGN.md: only softphone/sip imports pjsua2; the core has no widgets."""

from __future__ import annotations

import ast
import subprocess
import sys
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


# The window is a client of the desk: it never reaches below it to SIP, nor across to the CLI.
_NOT_FOR_THE_UI = ("pjsua2", "softphone.sip", "softphone.cli")


def _ui_offences(imported: set[str]) -> list[str]:
    """The imports a ui/ module may not have."""
    return sorted(n for n in imported if any(_within(n, banned) for banned in _NOT_FOR_THE_UI))


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_ui_never_reaches_pjsua2_the_sip_package_or_the_cli() -> None:
    found = {str(p.relative_to(ROOT)): _ui_offences(_imports(p)) for p in _sources("ui")}
    assert {path: names for path, names in found.items() if names} == {}


def test_the_ui_check_sees_a_forbidden_import() -> None:
    # Guards the check above against a prefix test that matches nothing (or too much).
    assert _ui_offences({"pjsua2", "softphone.sip.phone", "softphone.cli.main"}) == [
        "pjsua2",
        "softphone.cli.main",
        "softphone.sip.phone",
    ]
    assert _ui_offences({"softphone.calls.desk", "softphone.client", "PySide6.QtWidgets"}) == []


# The one core module that reaches up into the window, and only inside its command functions
# (`softphone window` and `softphone demo`): importing the CLI loads no Qt widgets.
_UI_DOOR = ROOT / "softphone" / "cli" / "windowcommand.py"


def _widget_imports(imported: set[str]) -> list[str]:
    """The imports that bring Qt widgets: PySide6.QtWidgets, or the window's package `ui`."""
    return sorted(n for n in imported if _within(n, "PySide6.QtWidgets") or _within(n, "ui"))


def _eager_imports(path: Path) -> set[str]:
    """The imports run when the module is imported (those inside functions are not)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Import):
                names.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names.add(child.module)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return names


def test_the_core_has_no_widgets() -> None:
    for path in _sources("softphone"):
        if path != _UI_DOOR:
            assert _widget_imports(_imports(path)) == [], path


def test_the_window_command_imports_the_window_only_when_run() -> None:
    assert _widget_imports(_imports(_UI_DOOR)) != []  # it does open the window...
    assert _widget_imports(_eager_imports(_UI_DOOR)) == []  # ...from inside its functions


def test_the_widget_check_sees_an_eager_import(tmp_path: Path) -> None:
    # Guards the two checks above against a visitor that skips (or enters) too much.
    module = tmp_path / "m.py"
    module.write_text("import ui.app\n\ndef f():\n    from PySide6.QtWidgets import QWidget\n")
    assert _widget_imports(_imports(module)) == ["PySide6.QtWidgets", "ui.app"]
    assert _widget_imports(_eager_imports(module)) == ["ui.app"]
    assert _widget_imports({"uitools", "PySide6.QtCore", "softphone.ui"}) == []


def test_importing_the_cli_loads_no_widgets() -> None:
    probe = (
        "import sys, softphone.cli.main; "
        "print(sorted(m for m in sys.modules if m == 'ui' or m.startswith(('ui.', 'PySide6'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_every_module_opens_with_a_one_line_docstring() -> None:
    for path in _sources("softphone", "ui", "tests", "benchmarks"):
        doc = ast.get_docstring(ast.parse(path.read_text()), clean=False)
        assert doc, f"{path} has no module docstring"
        assert doc.splitlines()[0].strip(), f"{path}: the docstring's first line is empty"


# DESIGN.md's layers, bottom first; a module may import its own layer and those below it.
# `softphone` itself (its __init__: the version) sits with the vocabulary; no other module lives
# at the package root.
LAYERS = ["vocabulary", "config", "recordings", "media", "sip", "calls", "app", "cli"]


def _layer_of(module: str) -> str | None:
    """The layer of a `softphone...` module name; None for anything else."""
    parts = module.split(".")
    if parts[0] != "softphone":
        return None
    if len(parts) == 1:
        return "vocabulary"
    if (ROOT / "softphone" / parts[1]).is_dir():
        return parts[1]
    return "package root"


def _upward(path: Path, imported: set[str]) -> list[str]:
    """The imports of the module at `path` that point up the layers."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    own = _layer_of(module.removesuffix(".__init__"))
    assert own in LAYERS, f"{path}: in no layer of DESIGN.md"
    return [
        f"{path.relative_to(ROOT)} ({own}) imports {name} ({target})"
        for name in sorted(imported)
        if (target := _layer_of(name)) is not None and LAYERS.index(target) > LAYERS.index(own)
    ]


def test_every_module_lives_in_a_layer() -> None:
    loose = sorted(p.name for p in (ROOT / "softphone").glob("*.py") if p.name != "__init__.py")
    assert loose == []


def test_every_import_points_down_the_layers() -> None:
    found = [line for path in _sources("softphone") for line in _upward(path, _imports(path))]
    assert found == []


def test_the_layer_check_sees_an_upward_import() -> None:
    # Guards the check above: the store importing the call model, as it once did, is reported.
    evidence = ROOT / "softphone" / "recordings" / "evidence.py"
    assert _upward(evidence, _imports(evidence) | {"softphone.calls.gate"}) != []
    assert _upward(evidence, {"softphone.vocabulary.frames"}) == []


def test_the_vocabulary_imports_no_other_layer() -> None:
    for path in _sources("softphone/vocabulary"):
        assert {_layer_of(n) for n in _imports(path)} <= {None, "vocabulary"}, path
