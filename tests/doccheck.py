"""The docs' output snippets, regenerated from real runs (`scripts/regen_docs.py` writes them).

A snippet sits between `<!-- generated: NAME ... -->` and `<!-- /generated -->` in a document.
`config show` and `config check` run in-process on the example policy installed under a
throwaway root, which is then cut from the paths (so they read /etc/softphone/...); the
self-test runs as a child process, as an admin runs it. Tests compare the docs with fresh runs:
exactly where the output is deterministic, with the numbers masked for the self-test.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from softphone.config.commands import Context
from softphone.config.commands import main as config_main

REPO = Path(__file__).resolve().parents[1]
DOCS = {"README.md": REPO / "README.md", "admin": REPO / "docs" / "admin.md"}
COMMAND_DOCS = (REPO / "README.md", REPO / "docs" / "admin.md", REPO / "docs" / "qa.md")
COMMAND_STARTS = ("softphone ", "bash ", ".venv/bin/", ".venv-test/bin/", "install ", "printf ")
EXAMPLE = REPO / "resources" / "policy.example.toml"
FAKE_PEM = "-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n"
AGENT_HOME = "/home/agent7"
BLOCK = re.compile(
    r"(?P<head><!-- generated: (?P<name>[\w-]+)[^\n]*-->\n)"
    r"(?P<body>.*?)(?P<tail><!-- /generated -->)",
    re.S,
)


def blocks(text: str) -> dict[str, str]:
    """Every generated snippet of a document, by name."""
    return {m["name"]: m["body"] for m in BLOCK.finditer(text)}


def replace(text: str, name: str, body: str) -> str:
    """The document with snippet `name` replaced by `body`."""
    found = False

    def swap(match: re.Match[str]) -> str:
        nonlocal found
        if match["name"] != name:
            return match[0]
        found = True
        return match["head"] + body + match["tail"]

    updated = BLOCK.sub(swap, text)
    if not found:
        raise KeyError(f"no generated block named {name!r}")
    return updated


def indented(lines: list[str]) -> str:
    """Lines as a Markdown code block (four spaces), with the blank lines around it."""
    return "\n" + "".join(f"    {line}".rstrip() + "\n" for line in lines) + "\n"


def _example_root(root: Path) -> Context:
    """The example policy installed as the machine-wide policy under `root`; its context."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for path in ("/usr/share/softphone/disclosure", "/etc/softphone", "/var/lib/softphone"):
        text = text.replace(f'"{path}', f'"{root}{path}')
    disclosure = root / "usr/share/softphone/disclosure"
    disclosure.mkdir(parents=True)
    for language in ("nl", "en"):
        shutil.copy(REPO / "resources" / "disclosure" / f"{language}.wav", disclosure)
    (root / "etc/softphone").mkdir(parents=True)
    (root / "etc/softphone/example-ca.pem").write_text(FAKE_PEM)
    (root / "etc/softphone/policy.toml").write_text(text, encoding="utf-8")
    (root / "var/lib/softphone/recordings").mkdir(parents=True)
    home = root / AGENT_HOME.lstrip("/")
    return Context(
        environ={},
        machine_policy=root / "etc/softphone/policy.toml",
        preferences=home / ".config/softphone/preferences.toml",
        resources=REPO / "resources",
        default_recordings=home / ".local/share/softphone/recordings",
    )


def _config_run(
    *argv: str, spoil: Callable[[Path], None] | None = None, code: int = 0
) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="softphone-docs-") as name:
        root = Path(name)
        out = io.StringIO()
        context = dataclasses.replace(_example_root(root), stdout=out, stderr=out)
        if spoil is not None:
            spoil(root)
        exit_code = config_main([a.replace("ROOT", str(root)) for a in argv], context)
        assert exit_code == code, out.getvalue()
        return out.getvalue().replace(str(root), "").splitlines()


def _five_mistakes(root: Path) -> None:
    """The example policy with a bad value, a typo, two bad disclosure files and no folder."""
    policy = root / "etc/softphone/policy.toml"
    text = policy.read_text(encoding="utf-8")
    text = text.replace('transport = "tls"', 'transport = "sctp"', 1)
    text = text.replace('transport = "tcp"', 'transprot = "tcp"', 1)
    policy.write_text(text, encoding="utf-8")
    (root / "usr/share/softphone/disclosure/nl.wav").unlink()
    (root / "usr/share/softphone/disclosure/en.wav").write_text("This call is recorded.\n")
    (root / "var/lib/softphone/recordings").rmdir()


def config_show() -> str:
    """`softphone config show` with the example policy as the machine-wide policy."""
    return indented(_config_run("config", "show"))


def config_check() -> str:
    """`softphone config check` of the example policy in force."""
    return indented(_config_run("config", "check"))


def config_check_problems() -> str:
    """`softphone config check FILE` of the example policy with five mistakes."""
    run = _config_run(
        "config", "check", "ROOT/etc/softphone/policy.toml", spoil=_five_mistakes, code=2
    )
    return indented(run)


def policy_example() -> str:
    """resources/policy.example.toml itself."""
    return "\n```toml\n" + EXAMPLE.read_text(encoding="utf-8") + "```\n\n"


def selftest_lines(stdout: str, stderr: str) -> list[str]:
    """What a terminal shows of a self-test run: the heading, the progress, the verdicts."""
    out = stdout.rstrip("\n").splitlines()
    verdicts = next(i for i, line in enumerate(out) if line.startswith(("  PASS", "  FAIL")))
    return [*out[:verdicts], *stderr.rstrip("\n").splitlines(), *out[verdicts:]]


def selftest() -> str:
    """A real `softphone selftest` run on this machine."""
    done = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "selftest"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return indented(selftest_lines(done.stdout, done.stderr))


def doc_commands() -> dict[str, list[str]]:
    """Every command shown in a code block of the docs, with where it is shown.

    A command is a code-block line (indented by four spaces or more) that starts like one;
    what follows two spaces (a comment, or a description as in docs/qa.md) is not part of it.
    Generated snippets are output and are skipped.
    """
    found: dict[str, list[str]] = {}
    for path in COMMAND_DOCS:
        # The generated snippets are output, not commands (line numbers stay as they are).
        text = BLOCK.sub(lambda m: "\n" * m[0].count("\n"), path.read_text(encoding="utf-8"))
        for number, line in enumerate(text.splitlines(), 1):
            text = line.strip()
            if line.startswith("    ") and text.startswith(COMMAND_STARTS):
                command = re.split(r"\s{2,}", text)[0]
                found.setdefault(command, []).append(f"{path.relative_to(REPO)}:{number}")
    return found


def masked(text: str) -> str:
    """Numbers replaced by N, for comparing runs whose measurements differ."""
    return re.sub(r"\d+(\.\d+)?", "N", text)


GENERATORS: dict[str, Callable[[], str]] = {
    "config-show": config_show,
    "config-check": config_check,
    "config-check-problems": config_check_problems,
    "policy-example": policy_example,
    "selftest": selftest,
}


def main(argv: list[str]) -> int:
    """Rewrite the generated snippets of every document (or only those named in `argv`)."""
    wanted = set(argv) or set(GENERATORS)
    unknown = wanted - set(GENERATORS)
    if unknown:
        print(f"regen_docs: unknown snippet(s) {sorted(unknown)}; known: {sorted(GENERATORS)}")
        return 2
    fresh = {name: GENERATORS[name]() for name in sorted(wanted)}
    for path in DOCS.values():
        text = path.read_text(encoding="utf-8")
        updated = text
        for name in blocks(text):
            if name in fresh:
                updated = replace(updated, name, fresh[name])
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"regen_docs: rewrote {path.relative_to(REPO)}")
    return 0
