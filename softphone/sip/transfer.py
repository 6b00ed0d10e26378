"""Call transfer in SIP: our REFERs (blind, or with Replaces) with a bound on their outcome.

A REFER's outcome comes as NOTIFY requests whose body is the status line the transferee got from
the target (message/sipfrag); the calls' callbacks post them as `TransferProgress`. A transferee
that accepts the REFER and then never tells the outcome would leave the transfer open for ever,
so each one has a bound: when it passes, a final 408 is posted and later reports are dropped.

The peer's own transfer requests (a REFER, an INVITE with Replaces) are decided in the call's
callback from the account's `accept_transfers` flag, which `allow_incoming` sets here.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping

import pjsua2 as pj

from softphone.sip.call import SipAccount, SipCall
from softphone.sip.engine import SipEngine
from softphone.vocabulary.events import (
    TRANSFER_TIMEOUT_S,
    CallState,
    CallStateChanged,
    Event,
    TransferError,
    TransferProgress,
)

log = logging.getLogger("softphone.sip")

TIMED_OUT = 408  # the status posted when the bound passes (SIP's Request Timeout)


class CallTransfers:
    """The REFERs of the phone's calls: at most one at a time per call, each with its bound."""

    def __init__(self, engine: SipEngine, calls: Mapping[int, SipCall]) -> None:
        self._engine = engine
        self._calls = calls
        self._serial = itertools.count(1)
        self._pending: dict[int, int] = {}  # call id -> the serial of its transfer in flight
        engine.subscribe(self._on_event)

    def allow_incoming(self, accounts: Iterable[SipAccount], allowed: bool) -> None:
        """Let the peer's REFERs and Replaces through (policy), or decline them with 603."""
        self._engine.check_thread()
        for account in accounts:
            account.accept_transfers = allowed

    def blind(self, call_id: int, uri: str, timeout_s: float = TRANSFER_TIMEOUT_S) -> None:
        """Send a REFER asking the customer's side of `call_id` to call `uri` instead."""
        call = self._transferable(call_id)
        if not uri.startswith(("sip:", "sips:")) or self._engine.endpoint.utilVerifySipUri(uri):
            raise TransferError(call_id, f"{uri!r} is not a SIP URI such as sip:user@host")
        self._send(call_id, call, lambda: call.xfer(uri, pj.CallOpParam(True)), timeout_s)

    def attended(
        self, call_id: int, consult_id: int, timeout_s: float = TRANSFER_TIMEOUT_S
    ) -> None:
        """Send a REFER with Replaces: the customer of `call_id` takes over the consult call."""
        call = self._transferable(call_id)
        if consult_id == call_id:
            raise TransferError(call_id, "a call cannot replace itself")
        consult = self._calls.get(consult_id)
        if consult is None or not _confirmed(consult):
            raise TransferError(call_id, f"the consult call {consult_id} is not in conversation")
        self._send(
            call_id, call, lambda: call.xferReplaces(consult, pj.CallOpParam(True)), timeout_s
        )

    def in_flight(self, call_id: int) -> bool:
        """Whether a REFER of `call_id` still awaits its outcome."""
        return call_id in self._pending

    def _transferable(self, call_id: int) -> SipCall:
        self._engine.check_thread()
        call = self._calls.get(call_id)
        if call is None:
            raise TransferError(call_id, "there is no such call")
        if not _confirmed(call):
            raise TransferError(call_id, "it is not in conversation (not answered, or ended)")
        if call_id in self._pending:
            raise TransferError(call_id, "a transfer of it is already under way")
        return call

    def _send(
        self, call_id: int, call: SipCall, send: Callable[[], None], timeout_s: float
    ) -> None:
        # Marked before sending: pjsua can report a local failure inside the call.
        call.transfer_in_flight = True
        failure = None
        try:
            send()
        except pj.Error as exc:
            failure = str(exc.reason)
        if failure is not None:
            # Raised outside the handler: no traceback of pjsua2's error keeps a Call alive.
            call.transfer_in_flight = False
            raise TransferError(call_id, f"the REFER could not be sent: {failure}")
        serial = next(self._serial)
        self._pending[call_id] = serial
        self._engine.call_later(timeout_s, lambda: self._expire(call_id, serial, timeout_s))
        log.info("call %d: REFER sent", call_id)

    def _expire(self, call_id: int, serial: int, timeout_s: float) -> None:
        if self._pending.get(call_id) != serial:
            return
        del self._pending[call_id]
        call = self._calls.get(call_id)
        if call is not None:
            call.transfer_in_flight = False  # a NOTIFY that still comes is dropped
        reason = f"no outcome from the transferee within {timeout_s:g} s"
        log.info("call %d: transfer failed: %s", call_id, reason)
        self._engine.post(TransferProgress(call_id, TIMED_OUT, reason, final=True))

    def _on_event(self, event: Event) -> None:
        over = isinstance(event, TransferProgress) and event.final
        ended = isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED
        if over or ended:
            self._pending.pop(getattr(event, "call_id", -1), None)


def _confirmed(call: SipCall) -> bool:
    return bool(call.isActive()) and call.getInfo().state == pj.PJSIP_INV_STATE_CONFIRMED
