"""Audio for the browser: loudness levelling and encoding to Ogg/Opus, MP3 and WAV.

Ogg/Opus and WAV are encoded by libsndfile through ``soundfile``; Opus wants
one of its own sample rates, so Piper's 22,050 Hz is resampled to 24 kHz with
``soxr``. MP3 is encoded by LAME through ``lameenc``: libsndfile's MP3 encoder
does not expose LAME's algorithm quality and cost 16 ms of CPU per second of
speech, an eighth of what synthesising it costs; ``lameenc`` at LAME's default
quality takes 3 ms. Settings are chosen for speech at well under 250 kB per minute.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ENCODER_REVISION",
    "FORMATS",
    "AudioFormat",
    "duration_seconds",
    "encode",
    "format_for",
    "level_loudness",
]

Samples = npt.NDArray[np.float32]

TARGET_RMS_DBFS = -20.0
"""Loudness every clip is brought to (RMS over the frames that carry speech)."""

PEAK_LIMIT = 0.97
"""No sample goes above this after levelling: the gain is capped instead."""

_GATE_DBFS = -45.0
"""Frames quieter than this (pauses, breath) do not count towards a clip's loudness."""

_FRAME_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """One way of delivering a clip."""

    ext: str
    """File extension and URL suffix: ``mp3``, ``ogg`` or ``wav``."""
    content_type: str
    """MIME type sent to browsers."""
    container: str
    """libsndfile major format."""
    subtype: str
    """libsndfile subtype (codec)."""
    sample_rate: int | None
    """Rate the clip is resampled to, or None to keep the voice's own."""
    compression_level: float | None
    """libsndfile compression level (0 best quality … 1 smallest), None for PCM."""
    constant_bitrate: bool = False
    """Constant bitrate (MP3): byte ranges map to time, which players use to seek."""


FORMATS: dict[str, AudioFormat] = {
    # Opus at about 24 kb/s: transparent enough for speech, ~180 kB per minute.
    "ogg": AudioFormat("ogg", "audio/ogg", "OGG", "OPUS", 24000, 0.93),
    # MPEG-2 Layer III at 24 kb/s CBR, 16 kHz (LAME's own choice of rate for 24 kb/s):
    # ~180 kB per minute.
    "mp3": AudioFormat("mp3", "audio/mpeg", "MP3", "MPEG_LAYER_III", 16000, None, True),
    "wav": AudioFormat("wav", "audio/wav", "WAV", "PCM_16", None, None),
}
"""Formats by extension."""

MP3_KBPS = 24
"""MP3 constant bitrate."""

MP3_QUALITY = 3
"""LAME's algorithm quality (2 best … 7 fastest); 3 is LAME's own default."""

ENCODER_REVISION = (
    f"2;lame:{MP3_KBPS}:{MP3_QUALITY};"
    + ";".join(
        f"{f.ext}:{f.subtype}:{f.sample_rate}:{f.compression_level}:{f.constant_bitrate}"
        for f in FORMATS.values()
    )
    + f";rms={TARGET_RMS_DBFS};peak={PEAK_LIMIT};gate={_GATE_DBFS}"
)
"""Everything that changes encoded bytes for the same samples: part of audio cache keys."""


def format_for(ext: str) -> AudioFormat | None:
    """The format for extension ``ext`` (case-insensitive), or None."""
    return FORMATS.get(ext.lower())


def duration_seconds(samples: Samples, sample_rate: int) -> float:
    """Length of ``samples`` in seconds."""
    return float(samples.size) / float(sample_rate)


BLOCK_SAMPLES = 1 << 16
"""Long clips are worked through in blocks of this many samples (3 s at 22,050 Hz): a
3,000-character speak is 4.8 million samples, and whole-clip temporaries in float64 were
most of the memory forty of them took."""


def speech_rms(samples: Samples, sample_rate: int) -> float:
    """RMS over the frames louder than the gate: how loud the speech in a clip sounds."""
    frame = max(1, int(sample_rate * _FRAME_SECONDS))
    usable = samples.size - samples.size % frame
    if usable == 0:
        return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0
    step = max(1, BLOCK_SAMPLES // frame) * frame  # whole frames per block
    energy = np.concatenate(
        [
            np.mean(
                np.square(
                    samples[at : min(at + step, usable)].astype(np.float64).reshape(-1, frame)
                ),
                axis=1,
            )
            for at in range(0, usable, step)
        ]
    )
    gate = 10 ** (_GATE_DBFS / 10)
    voiced = energy[energy > gate]
    if voiced.size == 0:
        return float(np.sqrt(np.mean(energy)))
    return float(np.sqrt(np.mean(voiced)))


def level_loudness(samples: Samples, sample_rate: int, *, in_place: bool = False) -> Samples:
    """Scale a clip so its speech sits at :data:`TARGET_RMS_DBFS`, peaks under the limit.

    Piper normalises every sentence to one peak, which leaves short and long
    sentences at different loudness; levelling by speech RMS keeps a page at
    one volume from sentence to sentence. ``in_place`` scales ``samples`` itself
    (float32, owned by the caller) instead of a copy.
    """
    if samples.size == 0:
        return samples
    rms = speech_rms(samples, sample_rate)
    peak = max(float(np.max(samples)), -float(np.min(samples)))  # no copy of the clip
    if rms < 1e-6 or peak < 1e-6:
        return samples
    gain = min(10 ** (TARGET_RMS_DBFS / 20) / rms, PEAK_LIMIT / peak)
    if in_place:
        samples *= np.float32(gain)
        return samples
    return (samples * np.float32(gain)).astype(np.float32, copy=False)


def encode(samples: Samples, sample_rate: int, audio_format: AudioFormat) -> bytes:
    """Encode mono float samples (already levelled) into ``audio_format``'s bytes.

    Blocking and CPU-bound: call it in the CPU executor.
    """
    import soundfile

    rate = sample_rate
    if samples.size == 0:
        # Encoders refuse an empty stream; a few milliseconds of silence is a valid clip.
        samples = np.zeros(sample_rate // 100, dtype=np.float32)
    if audio_format.subtype == "MPEG_LAYER_III":
        return _encode_mp3(samples, sample_rate, audio_format)
    data = np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False)
    if audio_format.sample_rate and audio_format.sample_rate != sample_rate:
        import soxr

        data = soxr.resample(data, sample_rate, audio_format.sample_rate).astype(np.float32)
        rate = audio_format.sample_rate
    out = io.BytesIO()
    with soundfile.SoundFile(
        out,
        "w",
        samplerate=rate,
        channels=1,
        format=audio_format.container,
        subtype=audio_format.subtype,
        compression_level=audio_format.compression_level,
    ) as sink:
        sink.write(data)
    return out.getvalue()


def _encode_mp3(data: Samples, sample_rate: int, audio_format: AudioFormat) -> bytes:
    """Constant-bitrate MP3 frames with no tag, so clips can be concatenated.

    The samples go to LAME a block at a time (the same bytes as all at once: LAME
    keeps what it has not encoded yet), so a long clip has no whole-clip copies.
    """
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_channels(1)
    encoder.set_in_sample_rate(sample_rate)
    if audio_format.sample_rate:
        encoder.set_out_sample_rate(audio_format.sample_rate)  # LAME resamples
    encoder.set_bit_rate(MP3_KBPS)
    encoder.set_quality(MP3_QUALITY)
    out = bytearray()
    for at in range(0, data.size, BLOCK_SAMPLES):
        out += encoder.encode(pcm16(data[at : at + BLOCK_SAMPLES]).tobytes())
    return bytes(out + encoder.flush())


def pcm16(samples: Samples) -> npt.NDArray[np.int16]:
    """Float samples as 16-bit PCM (clipped to ±1, rounded), a block at a time."""
    out = np.empty(samples.size, dtype="<i2")
    for at in range(0, samples.size, BLOCK_SAMPLES):
        block = np.clip(samples[at : at + BLOCK_SAMPLES], -1.0, 1.0)
        out[at : at + block.size] = np.round(block * np.float32(32767.0))
    return out
