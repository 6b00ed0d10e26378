"""A call's compliance session: the disclosure first, then a hold-gated recording with evidence.

The session owns the call's disclosure playback, its recording gate, taps and writer. Agent
actions that hold the call go through it so the gate closes before any SIP is sent; the engine's
events (dispatched on the main thread) tell it the confirmed facts that may reopen the gate.
A privacy pause closes the same gate without holding the call: no SIP, both parties connected.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from softphone.calls.gate import GateReason, RecordingGate
from softphone.calls.pause import PauseError, PauseSpan, pause_refusal, resume_refusal
from softphone.calls.phoneapi import EventPoster, PhoneApi, PortHandle
from softphone.calls.transferattempt import TRANSFERRED, UNKNOWN, TransferAttempt
from softphone.media.disclosure import Disclosure, DisclosurePlayback
from softphone.media.taps import StereoAssembler
from softphone.recordings.evidence import EvidenceLog
from softphone.recordings.metadata import GateEntry
from softphone.recordings.retention import RetentionSweeper
from softphone.recordings.store import RecordingStore, StoreError
from softphone.recordings.writer import RecordingError, RecordingWriter
from softphone.vocabulary.events import (
    CallDirection,
    CallState,
    CallStateChanged,
    DisclosureFinished,
    Event,
    MediaChanged,
    PeerLost,
    RecorderFailed,
    ReinviteAnswered,
    ReinviteKind,
    RemoteHoldOffered,
)
from softphone.vocabulary.frames import FRAME_SAMPLES, RATE

log = logging.getLogger("softphone.calls")

NO_MEDIA_TIMEOUT_S = 5.0
SESSION_TIMER_EXPIRED = "the session timer expired: the customer's side did not refresh the session"


def ended_by_sip(status_code: int, reason: str, *, answered: bool = True) -> str:
    """Why a call ended, from the last SIP status of its dialog (when nothing else said).

    pjsip ends an answered call itself when a request in it times out or the peer no longer
    knows the dialog (RFC 3261 12.2.1.2: 408, 481), and when a session timer expires (408).
    """
    status = f"SIP {status_code} {reason}".rstrip()
    if status_code == 408 and "session refresh" in reason.lower():
        return SESSION_TIMER_EXPIRED  # pjsip's RFC 4028 timer hung up (sip_timer.c)
    if answered and status_code == 408:
        return f"the customer's side stopped answering SIP requests ({status})"
    if answered and status_code == 481:
        return f"the customer's side no longer knows the call ({status})"
    return f"the call ended: {status}"


@dataclass(frozen=True)
class SessionSetup:
    """What every call needs to be recorded; a missing part means no recording, and why."""

    agent: str
    disclosure: Disclosure | None
    store: RecordingStore | None
    problems: tuple[str, ...] = ()
    pause_requires_reason: bool = False  # the admin policy's recording.pause_requires_reason
    retention: RetentionSweeper | None = None  # deletes what is past retention while running


@dataclass
class SessionOutcome:
    """What the session leaves behind for reports and the interface."""

    recording: str | None = None
    metadata: str | None = None
    disclosure: dict[str, object] | None = None
    problems: list[str] = field(default_factory=list)
    pauses: list[PauseSpan] = field(default_factory=list)
    transfers: list[TransferAttempt] = field(default_factory=list)
    end_reason: str | None = None  # why the call ended, once it did (or is being ended)


class CallSession:
    """Disclosure, gate and recording of one call; every method runs on the main thread."""

    def __init__(
        self,
        engine: EventPoster,
        phone: PhoneApi,
        call_id: int,
        direction: CallDirection,
        setup: SessionSetup,
        *,
        audio: tuple[PortHandle, PortHandle],
    ) -> None:
        self.engine, self.phone, self.call_id, self.setup = engine, phone, call_id, setup
        self.mic, self.speaker = audio
        self.direction = direction
        self.outcome = SessionOutcome(problems=list(setup.problems))
        self.gate = RecordingGate(self._open_walls, self._close_walls, self._media_time)
        self.assembler = StereoAssembler(self.gate.admits, self._write)
        self._agent_tap = phone.create_port(f"agent-tap-{call_id}", sink=self.assembler.agent)
        self._customer_tap = phone.create_port(f"cust-tap-{call_id}", sink=self.assembler.customer)
        self.assembler.set_slot_order(phone.slot(self._agent_tap), phone.slot(self._customer_tap))
        self.playback: DisclosurePlayback | None = None
        self._disclosure_ports: list[PortHandle] = []
        # RTP packets sent while the disclosure was connected: (count so far, counter at start)
        self._disclosure_rtp: tuple[int, int | None] = (0, None)
        self.writer: RecordingWriter | None = None
        self.evidence: EvidenceLog | None = None
        self.muted = False
        self.answered_at: float | None = None
        self.remote_uri = ""
        self.local_uri = ""
        self.sip_call_id = ""
        self._resume_unanswered = False  # the peer has not answered the agent's last resume
        self._holding: dict[str, float] = {}  # kind of hold in progress -> since
        self._ended = False
        # Early media is not the call: the agent's microphone reaches nobody before the answer.
        phone.cut_mic(call_id, "unanswered", True)

    # --- agent actions ---------------------------------------------------------------------

    def hold(self) -> None:
        """Close the gate, then put the call on hold (SIP follows the closed gate)."""
        self.gate.update(GateReason.HOLD_REQUESTED, hold_requested=True)
        self._note_hold("local", True)
        self._sync_media()
        self.phone.hold(self.call_id)

    def resume(self) -> None:
        """Take the call off hold; the gate reopens only on the fresh media of the resume."""
        self.phone.resume(self.call_id)
        self._resume_unanswered = True
        self.gate.update(GateReason.RESUME_REQUESTED, hold_requested=False)
        self._note_hold("local", False)
        self._sync_media()

    def pause_recording(self, reason: str, by: str) -> None:
        """Close the gate for a privacy pause; no SIP is sent and both parties keep talking.

        Allowed any time after the answer, during the disclosure too: the gate then stays closed
        until the disclosure is complete *and* the pause is lifted. `by` names who pressed it.
        Raises PauseError, having changed nothing, when the call cannot be paused now.
        """
        reason, by = reason.strip(), by.strip()
        refusal = pause_refusal(
            answered=self.answered_at is not None,
            ended=self._ended,
            paused=self.gate.facts.privacy_paused,
            reason=reason,
            required=self.setup.pause_requires_reason,
            by=by,
        )
        if refusal is not None:
            raise PauseError(self.call_id, "pause", refusal)
        span = PauseSpan(reason, by, time.time())  # from before the gate's closing
        self.gate.update(GateReason.PRIVACY_PAUSED, privacy_paused=True)
        self.outcome.pauses.append(span)
        if self.evidence is not None:
            self.evidence.note_pause(span.start, reason, by, self._media_time())
        self._persist()
        log.info("call %d: recording paused by %s (%s)", self.call_id, by, reason or "no reason")

    def resume_recording(self, by: str) -> None:
        """Lift the privacy pause; the gate reopens at once if nothing else keeps it closed.

        Raises PauseError, having changed nothing, when the recording is not paused.
        """
        by = by.strip()
        refusal = resume_refusal(
            answered=self.answered_at is not None,
            ended=self._ended,
            paused=self.gate.facts.privacy_paused,
            by=by,
        )
        if refusal is not None:
            raise PauseError(self.call_id, "resume", refusal)
        span = self.outcome.pauses[-1]
        span.end, span.resumed_by = time.time(), by  # until before the gate's reopening
        self.gate.update(GateReason.PRIVACY_RESUMED, privacy_paused=False)
        if self.evidence is not None:
            self.evidence.end_pause(span.end, by)
        self._persist()
        log.info("call %d: recording resumed by %s", self.call_id, by)

    def set_other_call(self, active: bool) -> None:
        """Another call was answered (the agent left this one) or ended."""
        if active:
            self.gate.update(GateReason.OTHER_CALL_ANSWERED, other_call_active=True)
            self._note_hold("other-call", True)
        else:
            self.gate.update(GateReason.OTHER_CALL_ENDED, other_call_active=False)
            self._note_hold("other-call", False)
        self._sync_media()

    def set_consulting(self, active: bool) -> None:
        """The agent started or ended a consult before a transfer."""
        reason = GateReason.CONSULT_STARTED if active else GateReason.CONSULT_ENDED
        self.gate.update(reason, consulting=active)
        self._note_hold("consult", active)
        self._sync_media()

    def begin_transfer(
        self, attempt: TransferAttempt, reason: GateReason = GateReason.TRANSFER_REQUESTED
    ) -> None:
        """The agent is leaving the call for a transfer: the gate closes before any SIP goes.

        Not a hold: the customer is still heard by the agent, but no longer hears the agent.
        """
        self.outcome.transfers.append(attempt)
        self.gate.update(reason, transferring=True)
        self._note_hold("transfer", True)  # the timeline shows the gap it leaves
        self.phone.cut_mic(self.call_id, "transfer", True)
        self._note_transfers()

    def end_transfer(self, attempt: TransferAttempt) -> None:
        """The transfer has its outcome; one that did not happen gives the call back."""
        if self._ended:
            return
        if attempt.result != TRANSFERRED and not any(t.pending for t in self.outcome.transfers):
            self.gate.update(GateReason.TRANSFER_FAILED, transferring=False)
            self._note_hold("transfer", False)
            self.phone.cut_mic(self.call_id, "transfer", False)
        self._note_transfers()

    def _note_transfers(self) -> None:
        if self.evidence is not None:
            self.evidence.note_transfers([t.as_json() for t in self.outcome.transfers])
        self._persist()

    def set_mute(self, muted: bool) -> None:
        """Mute the agent; the recording's agent channel follows what the customer hears."""
        self.muted = muted
        self.phone.set_mute(self.call_id, muted)
        if self.gate.is_open:
            if muted:
                self.phone.disconnect_ports(self.mic, self._agent_tap)
            else:
                self.phone.connect_ports(self.mic, self._agent_tap)

    def note_end(self, reason: str) -> None:
        """Say why the call is ending (the agent hung up, the peer is gone); the first wins."""
        if self.outcome.end_reason is None:
            self.outcome.end_reason = reason

    # --- engine events ---------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Take the facts of an event about this call."""
        if getattr(event, "call_id", None) != self.call_id or self._ended:
            return
        if isinstance(event, CallStateChanged):
            self._on_state(event)
        elif isinstance(event, MediaChanged):
            media = event.media
            self.gate.update(
                GateReason.MEDIA_CHANGED,
                media_confirmed=media.active,
                remote_hold=media.remote_hold,
                stream=media.stream,
            )
            self._note_hold("remote", media.remote_hold)
            if self.gate.is_open:
                self.phone.tap_call(self.call_id, self._customer_tap)  # the stream may be new
        elif isinstance(event, RemoteHoldOffered) and event.holding:
            self.gate.update(GateReason.REMOTE_HOLD, remote_hold=True)
            self._note_hold("remote", True)
        elif isinstance(event, DisclosureFinished):
            self._on_disclosure_finished()
        elif isinstance(event, ReinviteAnswered):
            if event.kind is ReinviteKind.RESUME and event.status_code != 491:
                self._resume_unanswered = False
            if event.refused:
                self._on_refused(event)
        elif isinstance(event, PeerLost):
            self.note_end(event.reason)
            log.warning("call %d: the customer's side is gone (%s)", self.call_id, event.reason)
        elif isinstance(event, RecorderFailed):
            self.outcome.problems.append(f"recording stopped: {event.reason}")
            self.gate.update(GateReason.WRITER_FAILED, writer_ok=False)
        self._sync_media()
        self._persist()

    def _on_refused(self, event: ReinviteAnswered) -> None:
        """A hold or resume the peer did not take: say so; a refused resume keeps it paused."""
        answer = f"SIP {event.status_code} {event.reason}".strip()
        if event.status_code == 491:
            log.info(
                "call %d: %s crossed the peer's own offer (491); retrying",
                self.call_id,
                event.kind.value,
            )
        elif event.kind is ReinviteKind.RESUME and not self.gate.facts.hold_requested:
            # The timeline must show why the audio stops here although the hold ended.
            self._note_hold("resume-refused", True)
            self.outcome.problems.append(
                f"the customer's side refused the resume ({answer}): nothing more is recorded "
                "unless the customer's side renegotiates the call's media"
            )
            log.warning(
                "call %d: resume refused (%s); the recording stays paused", self.call_id, answer
            )
        elif event.kind is ReinviteKind.HOLD:
            log.info(
                "call %d: the customer's side refused the hold (%s); the recording stays "
                "paused and the agent is not heard",
                self.call_id,
                answer,
            )

    def _sync_media(self) -> None:
        """Let the agent hear, the disclosure play and offers renew media as the facts say."""
        if self._ended:
            return
        facts = self.gate.facts
        talking = facts.media_confirmed and not facts.holding
        self.phone.set_listening(self.call_id, talking and facts.stream_fresh)
        self.phone.set_feeding(self.call_id, talking)
        self._count_disclosure_rtp(talking)
        self.phone.renew_media_on_offer(self.call_id, bool(facts.stream) and not facts.stream_fresh)

    def tick(self) -> None:
        """Called on every loop turn: notice a disclosure that cannot start for lack of media."""
        if (
            self.answered_at is not None
            and self.playback is not None
            and self.playback.started_at is None
            and time.time() - self.answered_at > NO_MEDIA_TIMEOUT_S
            and not self.gate.facts.holding
        ):
            self._disclosure_failed("the call has no audio to the customer")

    def _on_state(self, event: CallStateChanged) -> None:
        self.remote_uri = event.remote_uri
        self.sip_call_id = event.sip_call_id or self.sip_call_id
        answered = event.state in (CallState.CONNECTING, CallState.CONFIRMED)
        if answered and event.status_code == 200 and self.answered_at is None:
            self.answered_at = time.time()
            self.local_uri = self.phone.local_uri(self.call_id)
            self._start_disclosure()  # cuts the microphone for the disclosure first
            self.phone.cut_mic(self.call_id, "unanswered", False)
        elif event.state is CallState.DISCONNECTED:
            answered = self.answered_at is not None
            self.note_end(ended_by_sip(event.status_code, event.reason, answered=answered))
            self.end()

    # --- disclosure ------------------------------------------------------------------------

    def _start_disclosure(self) -> None:
        """Play the disclosure to the customer, never as early media: this runs on answer."""
        disclosure = self.setup.disclosure
        if disclosure is None:
            self._disclosure_failed("no disclosure is available")
            return
        call_id = self.call_id
        self.playback = DisclosurePlayback(
            disclosure, lambda: self.engine.post(DisclosureFinished(call_id))
        )
        feed = self.phone.create_port(f"disclosure-{call_id}", source=self.playback)
        mirror = self.phone.create_port(f"disclosure-mirror-{call_id}", source=self.playback.mirror)
        self._disclosure_ports = [feed, mirror]
        self.phone.cut_mic(call_id, "disclosure", True)  # the customer hears it first, alone
        self.phone.send_to_call(call_id, feed, mic=False)
        self.phone.connect_ports(mirror, self.speaker)
        self._sync_media()  # starts counting its RTP if it plays at once

    def _count_disclosure_rtp(self, playing: bool) -> None:
        """Add up the RTP the call sends while the disclosure is connected, over every stream."""
        if not self._disclosure_ports:
            return
        total, since = self._disclosure_rtp
        sent = self.phone.rtp_sent(self.call_id)
        if playing and since is None:
            self._disclosure_rtp = (total, sent)
        elif not playing and since is not None:
            self._disclosure_rtp = (total + sent - since, None)

    def _on_disclosure_finished(self) -> None:
        self._count_disclosure_rtp(False)
        self._release_disclosure()
        if self.playback is None:
            return
        sent = self._disclosure_rtp[0]
        self.outcome.disclosure = self._disclosure_evidence(rtp_sent=sent, completed=True)
        self._start_recording()
        self.gate.update(GateReason.DISCLOSURE_COMPLETED, disclosure_done=True)

    def _disclosure_failed(self, why: str) -> None:
        self._release_disclosure()
        self.outcome.problems.append(f"nothing was recorded: {why}")
        self.gate.update(GateReason.DISCLOSURE_FAILED, disclosure_done=False)
        self.playback = None

    def _disclosure_evidence(self, *, rtp_sent: int | None, completed: bool) -> dict[str, object]:
        assert self.playback is not None
        spec = self.playback.disclosure.spec
        return {
            "id": spec.id,
            "language": spec.language,
            "purpose": spec.purpose,
            "audio_sha256": self.playback.disclosure.audio_sha256,
            "duration_s": self.playback.disclosure.duration_s,
            "started_at": self.playback.started_at,
            "ended_at": self.playback.ended_at,
            "frames_played": self.playback.frames_played,
            "rtp_packets_sent": rtp_sent,
            "completed": completed,
        }

    def _release_disclosure(self) -> None:
        if self._disclosure_ports and not self._ended:
            self.phone.cut_mic(self.call_id, "disclosure", False)
        for port in self._disclosure_ports:
            self.phone.stop_sending(self.call_id, port)
            self.phone.disconnect_ports(port, self.speaker)
            self.phone.release_port(port)
        self._disclosure_ports = []

    # --- recording -------------------------------------------------------------------------

    def _start_recording(self) -> None:
        store = self.setup.store
        if store is None:
            self.gate.update(GateReason.WRITER_FAILED, writer_ok=False)
            return
        call_id = self.call_id
        try:
            started = self.answered_at or time.time()  # both sides of a call name it alike
            paths = store.new_recording(self.sip_call_id, self.direction.value, started)
            self.writer = RecordingWriter(
                paths.partial,
                lambda why: self.engine.post(RecorderFailed(call_id, why)),
                seal_to=paths.seal_to,
            )
        except (StoreError, RecordingError) as exc:
            self.outcome.problems.append(f"nothing was recorded: {exc}")
            self.gate.update(GateReason.WRITER_FAILED, writer_ok=False)
            return
        self.evidence = EvidenceLog(paths, self._call_facts(), self.outcome.disclosure or {})
        for kind, since in self._holding.items():  # a hold that began before the recording
            self.evidence.note_hold(kind, True, 0.0, since=since)
        for span in self.outcome.pauses:  # every pause asked for during the disclosure
            self.evidence.note_pause(span.start, span.reason, span.by, 0.0)
            if span.end is not None:
                self.evidence.end_pause(span.end, span.resumed_by)
        self.outcome.recording, self.outcome.metadata = str(paths.audio), str(paths.metadata)
        self.evidence.save(self._gate_log())
        self._note_transfers()  # one that began before the recording

    def _write(self, stereo: bytes) -> None:
        """Runs on the bridge clock thread (via the assembler): hand a frame to the writer."""
        writer = self.writer
        if writer is not None:
            writer.write(stereo)

    def _media_time(self) -> float:
        return self.assembler.frames_accepted * FRAME_SAMPLES / RATE

    def _open_walls(self) -> None:
        if "resume-refused" in self._holding:
            self._note_hold("resume-refused", False)
        if not self.muted:
            self.phone.connect_ports(self.mic, self._agent_tap)
        self.phone.tap_call(self.call_id, self._customer_tap)

    def _close_walls(self) -> None:
        self.phone.disconnect_ports(self.mic, self._agent_tap)
        self.phone.untap_call(self.call_id, self._customer_tap)

    def _note_hold(self, kind: str, held: bool) -> None:
        if held:
            self._holding.setdefault(kind, time.time())
        else:
            self._holding.pop(kind, None)
        if self.evidence is not None:
            self.evidence.note_hold(kind, held, self._media_time())

    def _gate_log(self) -> list[GateEntry]:
        """The gate's transitions as the recording's metadata keeps them (plain data)."""
        return [
            GateEntry(
                wall_time=t.wall_time,
                media_time=t.media_time,
                state="open" if t.opened else "closed",
                reason=t.reason.value,
                blockers=list(t.blockers),
            )
            for t in self.gate.transitions
        ]

    def _persist(self) -> None:
        if self.evidence is not None:
            self.evidence.save(self._gate_log())

    def _call_facts(self) -> dict[str, object]:
        return {
            "call_id": self.sip_call_id,
            "direction": self.direction.value,
            "local_uri": self.local_uri,
            "remote_uri": self.remote_uri,
            "agent": self.setup.agent,
            "answered_at": self.answered_at,
        }

    # --- the end ---------------------------------------------------------------------------

    def end(self) -> SessionOutcome:
        """Close the gate for good, release the ports and finalize the recording."""
        if self._ended:
            return self.outcome
        if self._resume_unanswered and not self.gate.facts.hold_requested:
            self.outcome.problems.append(
                "the customer's side never answered the resume: nothing was recorded after it"
            )
        for attempt in self.outcome.transfers:
            attempt.finish(UNKNOWN, attempt.status, "the call ended before the outcome was told")
        self.gate.update(GateReason.CALL_ENDED, ended=True)
        self._ended = True
        for span in self.outcome.pauses:
            span.end = span.end or time.time()  # a pause lasts until the call ends
        if self.playback is not None and not self.playback.finished:
            self.outcome.disclosure = self._disclosure_evidence(rtp_sent=None, completed=False)
            self.outcome.problems.append("the call ended before the disclosure completed")
        self._release_disclosure()
        for port in (self._agent_tap, self._customer_tap):
            self.phone.release_port(port)
        if self.writer is not None and self.evidence is not None:
            self.evidence.metadata.transfers = [t.as_json() for t in self.outcome.transfers]
            self.evidence.metadata.call.end_reason = self.outcome.end_reason
            self.evidence.finish(self.writer, self._gate_log(), self.outcome.problems)
        return self.outcome


def start_session(
    engine: EventPoster,
    phone: PhoneApi,
    call_id: int,
    direction: CallDirection,
    *,
    setup: SessionSetup,
    audio: tuple[PortHandle, PortHandle],
) -> CallSession:
    """A session for a new call, with the agent's microphone and speaker routed to it."""
    session = CallSession(engine, phone, call_id, direction, setup, audio=audio)
    mic, speaker = audio
    phone.send_to_call(call_id, mic)
    phone.receive_from_call(call_id, speaker)
    return session
