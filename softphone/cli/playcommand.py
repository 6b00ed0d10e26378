"""`softphone recordings play ID`: replay a recording on a headless box, or render it to a WAV.

Plays through the default PortAudio output (or `--device`), `--speed 0.5..2` with the pitch
kept, `--channel agent|customer|both`, `--from S --to S` seconds into the audio. Each playback
is entered in the audit trail as played (the part actually heard, even when stopped by Ctrl-C);
`--to-file WAV` writes the processed audio instead and is audited as an export, since a
decrypted copy then exists outside the library.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from softphone.cli.cliout import print_json
from softphone.config.qakey import load_identities
from softphone.media.replay import AudioOutput, Channel, ReplayCursor, render
from softphone.media.replayout import SoundDeviceOutput
from softphone.media.stretch import check_speed
from softphone.recordings.audiofile import KeySource
from softphone.recordings.catalog import find_entry
from softphone.recordings.review import export_processed, note_played, open_recording
from softphone.vocabulary import exitcodes

AHEAD_S = 0.3  # how much audio is kept queued ahead of the ear
BLOCK_S = 0.05


def _speed(text: str) -> float:
    try:
        return check_speed(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser, seconds: Any) -> None:
    """The options of `recordings play`; `seconds` parses a number of seconds."""
    parser.add_argument("id", help="the recording's id (as `list` shows) or name")
    parser.add_argument("--speed", type=_speed, default=1.0, help="0.5 to 2, pitch kept")
    parser.add_argument(
        "--channel", choices=[c.value for c in Channel], default="both", help="whom to hear"
    )
    parser.add_argument("--from", type=seconds, metavar="S", dest="start_s", default=0.0)
    parser.add_argument("--to", type=seconds, metavar="S", dest="end_s")
    parser.add_argument("--to-file", metavar="WAV", help="write the processed audio, not play")
    parser.add_argument("--device", metavar="NAME", help="the output device (default: default)")


def run(
    args: argparse.Namespace,
    root: Path,
    output: AudioOutput | None = None,
    keys: KeySource = load_identities,
) -> int:
    """Play (or render) the part of the recording `args` name; `output` replaces the device,
    `keys` the QA keys of the OS keyring (for a sealed recording)."""
    entry = find_entry(root, args.id)
    if args.end_s is not None and args.end_s <= args.start_s:
        raise ValueError(f"--to ({args.end_s:g}) must come after --from ({args.start_s:g})")
    audio = open_recording(root, entry, keys)
    samples, rate = audio.samples(args.start_s, args.end_s)
    if len(samples) == 0:
        raise ValueError(f"the recording has no audio from {args.start_s:g} s on")
    channel = Channel(args.channel)
    part = (args.start_s, args.start_s + len(samples) / rate)
    how = {"speed": args.speed, "channel": channel.value}
    if args.to_file:
        target = Path(args.to_file).expanduser().absolute()
        heard = render(samples, rate, channel, args.speed)
        audited = export_processed(root, entry, target, heard, rate=rate, part=part, **how)
        if not args.json:
            print(f"wrote {target} ({len(heard) / rate:.1f} s, {channel.value}, x{args.speed:g})")
    else:
        cursor = ReplayCursor(samples, rate)
        cursor.channel, cursor.speed = channel, args.speed
        out = output or SoundDeviceOutput(args.device)
        out.open(rate)  # no device: nothing was played, nothing is audited
        try:
            _play(cursor, out)
        finally:  # a Ctrl-C still enters what was heard (not what was only queued)
            heard_s = max(0.0, cursor.position_s - out.queued_s() * cursor.speed)
            out.close()
            end = args.start_s + heard_s
            audited = note_played(root, entry.metadata_path, args.start_s, end, **how)
        if not args.json:
            print(f"played {audited['recording']} from {args.start_s:g} s to {end:.1f} s")
    if args.json:
        print_json(audited)
    return exitcodes.OK


def _play(cursor: ReplayCursor, output: AudioOutput) -> None:
    """Feed the opened `output` from `cursor` to the end, then let it play out."""
    while not cursor.finished:
        while output.queued_s() < AHEAD_S and not cursor.finished:
            output.write(cursor.read(BLOCK_S))
        time.sleep(BLOCK_S / 2)
    while output.queued_s() > 0:
        time.sleep(BLOCK_S / 2)
