"""RegistrationNews: the agent hears when the registration is lost and when it is back, once."""

from __future__ import annotations

from softphone.app.registrationnews import RegistrationNews
from softphone.calls.snapshot import RegistrationChanged
from softphone.vocabulary import events

REGISTRAR = "sip:pbx.example.com;transport=tcp"


def _outcome(registered: bool, code: int, reason: str) -> RegistrationChanged:
    return RegistrationChanged(events.RegistrationChanged("policy", registered, code, reason))


def test_a_loss_and_a_return_are_each_said_once() -> None:
    news = RegistrationNews("office", REGISTRAR, 30)
    assert news.line(_outcome(True, 200, "OK")) is None  # a refresh: nothing changed
    lost = news.line(_outcome(False, 503, "Service Unavailable"))
    assert lost == (
        f"account office is not registered at {REGISTRAR} (SIP 503 Service Unavailable): calls "
        "through it cannot reach you; calls in progress go on; trying again every 30 s"
    )
    assert news.line(_outcome(False, 408, "Request Timeout")) is None  # still down
    assert news.line(_outcome(True, 200, "OK")) == (
        f"account office is registered again at {REGISTRAR}; calls through it reach you"
    )
    assert news.line(_outcome(True, 200, "OK")) is None


def test_unregistering_at_the_end_is_no_loss() -> None:
    news = RegistrationNews("office", REGISTRAR, 30)
    assert news.line(_outcome(False, 200, "OK")) is None


def test_no_answer_at_all_is_named() -> None:
    news = RegistrationNews("office", REGISTRAR, 5)
    line = news.line(_outcome(False, 0, ""))
    assert line is not None and f"at {REGISTRAR} (no answer):" in line
