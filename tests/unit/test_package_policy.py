"""The policy the .deb installs as /etc/softphone/policy.toml is one this version accepts."""

from __future__ import annotations

from pathlib import Path

from softphone.config.policy import load_policy

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "packaging" / "debian" / "policy.toml"
INSTALLED_DISCLOSURES = "/opt/softphone/disclosure"  # build.sh links it to the bundle's


def test_the_shipped_policy_is_valid_and_says_what_the_built_in_policy_says(
    tmp_path: Path,
) -> None:
    disclosures = REPO / "resources" / "disclosure"
    text = SHIPPED.read_text(encoding="utf-8")
    assert INSTALLED_DISCLOSURES in text
    here = tmp_path / "policy.toml"
    here.write_text(text.replace(INSTALLED_DISCLOSURES, str(disclosures)), encoding="utf-8")
    policy = load_policy(here, default_recordings=tmp_path / "recordings")
    assert policy.warnings == ()
    assert policy.accounts == () and policy.recording.retention_days == 90
    assert policy.disclosure.default_language == "nl"
    for language, entry in policy.disclosure.languages.items():
        assert entry.id == f"softphone-default-{language}"
        assert entry.audio == disclosures / f"{language}.wav"
        assert entry.purpose == (disclosures / f"{language}.txt").read_text("utf-8").strip()
    assert sorted(policy.disclosure.languages) == ["en", "nl"]
