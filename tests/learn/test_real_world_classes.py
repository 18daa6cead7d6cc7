"""Classes of files met on pages nobody here wrote, each made here by hand or by an
encoder (no one's file is copied): the reader gives the length a decoder plays, or
refuses the file with a clear reason, never hours of nothing."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from pelican_audiotable.learn.analysis import analyse
from pelican_audiotable.learn.metadata import ClipError, CorruptClip, read_metadata
from tests import hostile


def close(a: float, b: float) -> bool:
    """Within max(0.1 s, 1 %): the issue's bar for agreeing with a decoder."""
    return abs(a - b) <= max(0.1, 0.01 * max(a, b))


def test_four_bytes_of_flac_marker_are_refused_not_a_bug(tmp_path: Path) -> None:
    four = tmp_path / "four.flac"
    four.write_bytes(b"fLaC")
    with pytest.raises(CorruptClip, match="stream info is missing"):
        read_metadata(four)


def test_mpeg_2_5_at_8_khz_reads_what_plays(tmp_path: Path) -> None:
    """Its Info frame is written at a higher bitrate than the stream's (the LAME
    tag does not fit an 8 kHz, 16 kbit/s frame): the frames after it say what the
    stream is."""
    clip = tmp_path / "speech.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:r=8000",
         "-t", "5", "-c:a", "libmp3lame", "-b:a", "16k", "-ar", "8000", str(clip)],
        check=True,
    )  # fmt: skip
    meta = read_metadata(clip)
    assert meta.sample_rate == 8000 and meta.bitrate == 16000
    assert close(meta.duration, analyse(clip).decoded)  # was 4.4 % long


def _flac(clips: dict[str, Path]) -> bytearray:
    data = bytearray(clips["flac-44k.flac"].read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0
    return data


def test_a_flac_total_lower_than_its_frames_is_measured_from_the_frames(
    clips, tmp_path: Path
) -> None:
    data = _flac(clips)
    packed = int.from_bytes(data[18:26], "big")
    total = packed & 0xFFFFFFFFF
    data[18:26] = ((packed & ~0xFFFFFFFFF) | total // 2).to_bytes(8, "big")
    low = tmp_path / "low.flac"
    low.write_bytes(data)
    meta = read_metadata(low)
    assert meta.duration_source == "frame-count"
    assert close(meta.duration, analyse(low).decoded)


def test_flac_frames_larger_than_streaminfo_allows_are_refused(
    clips, tmp_path: Path
) -> None:
    data = _flac(clips)
    data[8:12] = (1024).to_bytes(2, "big") * 2  # min and max block size
    wrong = tmp_path / "wrong.flac"
    wrong.write_bytes(data)
    with pytest.raises(CorruptClip, match="decoders refuse them"):
        read_metadata(wrong)
    with pytest.raises(ClipError):
        analyse(wrong)  # FFmpeg decodes nothing of it either


def test_mp4_with_a_data_handler_after_the_sound_handler_is_checked(
    clips, tmp_path: Path
) -> None:
    """QuickTime writes a data handler in minf after the media's own: the track is
    still the sound track, and a cut file still reads as what it holds."""
    data = bytearray(clips["aac-faststart-48k.m4a"].read_bytes())
    dinf = data.find(b"dinf")
    assert dinf > 0 and data.find(b"mdat") > dinf
    data[dinf : dinf + 4] = b"hdlr"  # a second handler, after mdia's, same size
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(data[: len(data) * 4 // 10])
    meta = read_metadata(cut)
    assert meta.truncated and meta.duration < 0.5 * 9.4


def test_mp4_promising_audio_it_does_not_hold_is_refused(tmp_path: Path) -> None:
    header_only = tmp_path / "header-only.m4a"
    whole = hostile.mp4(seconds=10 * 3600)
    header_only.write_bytes(whole[: whole.rfind(b"mdat") - 4])  # no media data
    with pytest.raises(CorruptClip, match="no media data"):
        read_metadata(header_only)


def test_flac_frames_without_their_marker_are_refused_with_the_reason(
    clips, tmp_path: Path
) -> None:
    from pelican_audiotable.learn.parsers import flac

    with clips["flac-44k.flac"].open("rb") as handle:
        start = flac.audio_start(handle, 0)
    assert start
    raw = tmp_path / "raw.flac"
    raw.write_bytes(clips["flac-44k.flac"].read_bytes()[start:])
    with pytest.raises(ClipError, match="without the fLaC marker"):
        read_metadata(raw)


def _renumbered_by_sample(data: bytearray) -> bytes:
    """A FLAC as the old variable-blocksize encoders wrote it: STREAMINFO's
    smallest block below its largest, and every frame numbered by its first
    sample with the blocking bit still 0 (the bit meant nothing then). Each frame
    header is written anew, with its CRC-8 and the frame's CRC-16."""
    from pelican_audiotable.learn.parsers import flac

    start = flac.audio_start(io.BytesIO(bytes(data)))
    assert start is not None
    info = flac.parse_streaminfo(bytes(data[8:42]))
    assert info is not None and info.min_block == info.max_block
    frames, pos = [], start
    while True:  # each frame's header, found where the one before ends
        header = flac.parse_frame_header(bytes(data), pos, info)
        assert (
            header is not None and header.first_sample == len(frames) * info.max_block
        )
        following = flac.first_frame(bytes(data[pos + 2 :]), info)
        end = pos + 2 + following.offset if following is not None else len(data)
        frames.append((pos, end, header))
        if following is None:
            break
        pos = end
    out = bytearray(data[:start])
    out[8:10] = (info.max_block // 4).to_bytes(2, "big")  # min block < max block
    for pos, end, header in frames:
        number = flac._utf8_number(bytes(data), pos + 4)
        assert number is not None
        sample = header.first_sample
        coded = _utf8(sample)
        head = (
            bytes(data[pos : pos + 4])
            + coded
            + bytes(data[number[1] : _header_end(data, pos, number[1])])
        )
        head += bytes([flac._crc8(head)])
        body = bytes(data[_header_end(data, pos, number[1]) + 1 : end - 2])
        frame = head + body
        out += frame + flac._crc16(frame).to_bytes(2, "big")
    return bytes(out)


def _header_end(data: bytearray, pos: int, after_number: int) -> int:
    """Where a frame header's CRC-8 is: after its number, its optional block
    size and rate fields."""
    size_code, rate_code = data[pos + 2] >> 4, data[pos + 2] & 0x0F
    at = after_number + {6: 1, 7: 2}.get(size_code, 0)
    return at + {12: 1, 13: 2, 14: 2}.get(rate_code, 0)


def _utf8(value: int) -> bytes:
    """FLAC's UTF-8-like coding of a frame or sample number."""
    if value < 0x80:
        return bytes([value])
    extra = next(
        n for n, bits in enumerate((11, 16, 21, 26, 31, 36), 1) if value < 1 << bits
    )
    tail = [0x80 | (value >> (6 * i)) & 0x3F for i in reversed(range(extra))]
    lead = ((0xFF << (7 - extra)) & 0xFF) | (value >> (6 * extra))
    return bytes([lead, *tail])


def test_an_old_variable_blocksize_flac_reads_as_long_as_it_plays(
    clips, tmp_path: Path
) -> None:
    """Frames numbered by sample with the blocking bit 0, which a STREAMINFO
    whose block sizes differ tells apart: a decoder plays 9.4 s; read as frame
    numbers, the last frame said hours (a public file of this kind: 32 hours)."""
    data = _flac(clips)
    total = int.from_bytes(data[18:26], "big") & 0xFFFFFFFFF
    data[18:26] = (int.from_bytes(data[18:26], "big") & ~0xFFFFFFFFF).to_bytes(8, "big")
    old = tmp_path / "old.flac"  # its total unknown: the frames say the length
    old.write_bytes(_renumbered_by_sample(data))
    decoded = analyse(old).decoded
    assert close(decoded, total / 44100)  # a decoder plays it all
    meta = read_metadata(old)
    assert close(meta.duration, decoded), meta.duration
