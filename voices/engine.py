"""Voices that turn text into samples: the neural Piper voice and the espeak-ng fallback.

The speech part of the service codes against :class:`SpeechVoice` only. Two
implementations exist:

* :class:`PiperSpeechVoice`: a Piper VITS model (``NAME.onnx`` plus
  ``NAME.onnx.json``) run by onnxruntime through piper-tts.
* :class:`FallbackVoice`: espeak-ng's own formant synthesiser speaking
  Swedish, from the shared library and data shipped in the ``espeakng-loader``
  wheel (no download, no system package). Robotic, but always there.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "FallbackVoice",
    "PiperSpeechVoice",
    "SpeechVoice",
    "VoiceLoadError",
    "file_sha256",
]

logger = logging.getLogger(__name__)

Samples = npt.NDArray[np.float32]

WordTimes = list[tuple[float, float]]
"""(start, end) in seconds of each spoken word, in order."""

SENTENCE_PAUSE_SECONDS = 0.25
"""Silence put between sentences when one text holds several."""

PEAK = 0.9
"""Every voice's sentences are scaled to this peak: equal loudness, headroom for encoders."""

ENGINE_REVISION = "1"
"""Bump when :meth:`SpeechVoice.synthesize` output changes for the same model (fingerprints)."""


class VoiceLoadError(Exception):
    """A voice model or its config cannot be read or run; the message says which file."""


@runtime_checkable
class SpeechVoice(Protocol):
    """A loaded voice. Implementations are thread-safe: many sentences at once."""

    name: str
    """Catalogue name, e.g. ``sv_SE-nst-medium``, or ``espeak-ng-sv`` for the fallback."""
    language: str
    """Language the voice speaks, e.g. ``sv``."""
    sample_rate: int
    """Samples per second of what :meth:`synthesize` returns."""
    fallback: bool
    """True for the offline espeak-ng fallback voice."""
    fingerprint: str
    """sha256 over the model, its config and the engine versions: part of audio cache keys."""

    def synthesize(self, text: str, *, length_scale: float = 1.0) -> Samples:
        """Speak ``text``: float32 mono samples in [-1, 1]; >1 ``length_scale`` is slower."""
        ...


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _espeak_data_digest(data_dir: Path, language: str) -> str:
    """sha256 over the espeak-ng data files that decide how ``language`` is spoken."""
    digest = hashlib.sha256()
    lang = language.split("-")[0]
    for name in ("phontab", "phonindex", "phondata", "intonations", f"{lang}_dict"):
        path = data_dir / name
        if path.is_file():
            digest.update(name.encode())
            digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def _piper_voice(model_path: Path, config: dict[str, Any]) -> Any:
    """A ``PiperVoice`` of ``model_path``: onnxruntime threads never spin-waiting, no
    memory patterns kept.

    onnxruntime's threads spin between the parallel steps of a sentence by
    default, taking a core that the event loop, page parsing and encoding need:
    without spinning a medium voice made 12 % more speech per second alone and
    under other load (the service's own measure while a crowd listens).
    """
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.phonemize_espeak import ESPEAK_DATA_DIR

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # No memory patterns: onnxruntime plans one per input shape and keeps it, and every
    # sentence length is a shape of its own. Measured on the medium voice over 27 lengths:
    # 323 MB instead of 368 MB, at the same speed.
    options.enable_mem_pattern = False
    session = onnxruntime.InferenceSession(
        str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(
        config=PiperConfig.from_dict(config),
        session=session,
        espeak_data_dir=Path(ESPEAK_DATA_DIR),
        download_dir=Path.cwd(),
    )


@dataclass(eq=False)
class PiperSpeechVoice:
    """A Piper neural voice, loaded with piper-tts's ``PiperVoice.load``."""

    name: str
    language: str
    sample_rate: int
    fingerprint: str
    model_path: Path
    quality: str | None
    _voice: Any = field(repr=False)
    fallback: bool = False
    noise_scale: float | None = None
    """Generator noise; None uses the model config's value."""
    noise_w_scale: float | None = None
    """Phoneme width noise; None uses the model config's value."""

    @classmethod
    def load(
        cls,
        model_path: Path,
        config_path: Path | None = None,
        *,
        name: str | None = None,
        deterministic: bool = False,
        model_sha256: str | None = None,
    ) -> PiperSpeechVoice:
        """Load ``model_path`` (and ``model_path.json`` unless ``config_path`` is given).

        ``name`` defaults to the file name without ``.onnx``. With
        ``deterministic`` the noise scales are 0, so the same text always gives
        the same samples (flatter prosody). Raises :class:`VoiceLoadError` when
        the files are missing, the config is not Piper's or onnxruntime cannot
        load the model. ``model_sha256`` saves hashing the model again when the
        caller has just checked it.
        """
        from piper import PiperVoice
        from piper.phonemize_espeak import ESPEAK_DATA_DIR

        model_path = Path(model_path)
        config_path = Path(config_path) if config_path else Path(f"{model_path}.json")
        if not model_path.is_file():
            raise VoiceLoadError(f"voice model {model_path} does not exist")
        if not config_path.is_file():
            raise VoiceLoadError(f"voice config {config_path} does not exist")
        try:
            config_bytes = config_path.read_bytes()
            config = json.loads(config_bytes)
            # Alignments (samples per phoneme) come from the same run as the audio, so word
            # timings cost no extra synthesis. The model is patched once, by a child process,
            # into a copy beside it: patching in memory here would hold two more copies of
            # the model at load and raise the service's peak memory by about that much.
            aligned = aligned_model(model_path)
            if aligned is not None:
                voice = _piper_voice(aligned, config)
            else:  # no writable copy (or already patched): piper patches in memory
                voice = PiperVoice.load(
                    model_path, config_path=config_path, include_alignments=True
                )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VoiceLoadError(f"cannot load voice {model_path}: {exc}") from exc
        except Exception as exc:  # onnxruntime raises its own exception types
            raise VoiceLoadError(f"cannot load voice model {model_path}: {exc}") from exc
        espeak_voice = voice.config.espeak_voice
        digest = hashlib.sha256()
        for part in (
            "piper",
            model_sha256 or file_sha256(model_path),
            hashlib.sha256(config_bytes).hexdigest(),
            _version("piper-tts"),
            _version("onnxruntime"),
            _espeak_data_digest(Path(ESPEAK_DATA_DIR), espeak_voice),
            "deterministic" if deterministic else "noisy",
            f"engine={ENGINE_REVISION} peak={PEAK} pause={SENTENCE_PAUSE_SECONDS}",
        ):
            digest.update(part.encode())
            digest.update(b"\0")
        quality = config.get("audio", {}).get("quality")
        return cls(
            name=name or model_path.name.removesuffix(".onnx"),
            language=espeak_voice.split("-")[0],
            sample_rate=int(voice.config.sample_rate),
            fingerprint=digest.hexdigest(),
            model_path=model_path,
            quality=str(quality) if quality else None,
            _voice=voice,
            noise_scale=0.0 if deterministic else None,
            noise_w_scale=0.0 if deterministic else None,
        )

    def synthesize(self, text: str, *, length_scale: float = 1.0) -> Samples:
        """Speak ``text``; several sentences are joined with a short pause.

        ``length_scale`` is relative to the voice's own pace (its config's length scale).
        """
        return self.synthesize_timed(text, length_scale=length_scale)[0]

    def synthesize_timed(
        self, text: str, *, length_scale: float = 1.0
    ) -> tuple[Samples, WordTimes | None]:
        """Like :meth:`synthesize`, plus when each spoken word starts and ends.

        The times come from the model's own phoneme durations (Piper alignments),
        grouped into words where espeak-ng's phonemes have a space; None when the
        model gives no alignments.
        """
        from piper import SynthesisConfig

        syn_config = SynthesisConfig(
            length_scale=self._voice.config.length_scale * length_scale,
            noise_scale=self.noise_scale,
            noise_w_scale=self.noise_w_scale,
            normalize_audio=True,
            volume=PEAK,
        )
        pause = np.zeros(int(self.sample_rate * SENTENCE_PAUSE_SECONDS), dtype=np.float32)
        parts: list[Samples] = []
        words: WordTimes | None = []
        offset = 0
        for chunk in self._voice.synthesize(text, syn_config=syn_config, include_alignments=True):
            if parts:
                parts.append(pause)
                offset += pause.size
            audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
            parts.append(audio)
            if words is not None:
                found = _word_samples(chunk.phoneme_alignments, offset)
                words = None if found is None else words + found
            offset += audio.size
        if not parts:
            return np.zeros(0, dtype=np.float32), []
        samples = np.clip(np.concatenate(parts), -1.0, 1.0).astype(np.float32, copy=False)
        if words is None:
            return samples, None
        rate = float(self.sample_rate)
        return samples, [(start / rate, end / rate) for start, end in words]


_PATCH_COMMAND = (sys.executable, "-m", "piper.patch_voice_with_alignment")


def aligned_path(model_path: Path) -> Path:
    """Where the copy of ``model_path`` with Piper's alignment output is kept."""
    return model_path.with_name(model_path.name + ".aligned")


def unaligned_marker(model_path: Path) -> Path:
    """The file saying that ``model_path`` cannot be patched (so no child is started again)."""
    return model_path.with_name(model_path.name + ".aligned.failed")


def aligned_model(model_path: Path) -> Path | None:
    """A copy of the model that also outputs samples per phoneme, made once; None if none.

    The copy is written by ``piper.patch_voice_with_alignment`` in a child process
    (the onnx graph is loaded and saved there, not in the service) and renamed into
    place; it is made again when the model is newer. None when the folder is not
    writable or the model needs no patch (it already has the output) or cannot be
    patched: that is remembered beside the model (:func:`unaligned_marker`, with the
    patch's complaint), so later starts do not spend a second on it again until the
    model changes.
    """
    target = aligned_path(model_path)
    failed = unaligned_marker(model_path)
    try:
        made = model_path.stat().st_mtime
        if target.is_file() and target.stat().st_mtime >= made:
            return target
        if failed.is_file() and failed.stat().st_mtime >= made:
            return None
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        result = subprocess.run(  # noqa: S603 - our own interpreter and piper's module
            [*_PATCH_COMMAND, str(model_path), "--output", str(partial)],
            capture_output=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0 or not partial.is_file():
            partial.unlink(missing_ok=True)
            failed.write_bytes(result.stderr[-4000:])
            return None
        os.replace(partial, target)
    except (OSError, subprocess.SubprocessError) as exc:
        logger.info("no aligned copy of %s (%s); patching in memory", model_path, exc)
        return None
    return target


_SILENT_PHONEMES = frozenset("^$_ ,.!?;:")
"""Piper's sentence start/end and pad, espeak-ng's word gap and punctuation pauses."""


def _word_samples(alignments: Any, offset: int) -> list[tuple[float, float]] | None:
    """Sample (start, end) of each word in one Piper sentence's phoneme alignments.

    espeak-ng writes a space between words; punctuation phonemes are pauses that
    belong to no word, except a sentence-final stop (see below). None when the
    model gave no alignments.
    """
    if not alignments:
        return None
    words: list[tuple[float, float]] = []
    cursor = offset
    start: int | None = None
    end = cursor
    last = len(alignments) - 1
    for position, alignment in enumerate(alignments):
        length = int(alignment.num_samples)
        if alignment.phoneme in _SILENT_PHONEMES:
            if start is not None and alignment.phoneme not in "_":
                words.append((start, end))
                start = None
            final = position == last - 1 and alignments[last].phoneme == "$"
            if final and words and alignment.phoneme in ".!?":
                # the sentence's closing fall is sung on its last word: the final
                # punctuation's time belongs to it, not to a pause after it
                words[-1] = (words[-1][0], cursor + length)
        else:
            if start is None:
                start = cursor
            end = cursor + length
        cursor += length
    if start is not None:
        words.append((start, end))
    return words


# --- espeak-ng fallback ------------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_ESPEAK_RATE = 1
_ESPEAK_DEFAULT_RATE = 175
_EE_OK = 0
_INITIALIZE_DONT_EXIT = 0x8000  # report data errors instead of calling exit()

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class EspeakLibrary:
    """The espeak-ng shared library from ``espeakng-loader``, initialised for synthesis.

    espeak-ng keeps its state in C globals, so there is exactly one of these
    per process (see :func:`espeak_library`) and every call goes through
    :attr:`lock`.
    """

    def __init__(self) -> None:
        import espeakng_loader

        self.library_path = Path(espeakng_loader.get_library_path())
        self.data_path = Path(espeakng_loader.get_data_path())
        self.lock = threading.Lock()
        try:
            lib = ctypes.CDLL(str(self.library_path))
        except OSError as exc:
            raise VoiceLoadError(f"cannot load espeak-ng from {self.library_path}: {exc}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        # espeak_Initialize wants the folder that contains "espeak-ng-data".
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            str(self.data_path.parent).encode(),
            _INITIALIZE_DONT_EXIT,
        )
        if rate <= 0:
            raise VoiceLoadError(f"espeak-ng failed to initialise with data in {self.data_path}")
        self.sample_rate = int(rate)
        self.version = (lib.espeak_Info(None) or b"unknown").decode()
        self._collected: list[bytes] = []

        def on_samples(wav: Any, count: int, events: Any) -> int:
            if wav and count > 0:
                self._collected.append(ctypes.string_at(wav, count * 2))
            return 0

        self._callback = _SYNTH_CALLBACK(on_samples)  # kept alive as long as the library
        lib.espeak_SetSynthCallback(self._callback)
        self._lib = lib

    def synthesize(self, voice: str, text: str, rate: int) -> Samples:
        """Speak ``text`` with espeak-ng voice ``voice`` at ``rate`` words per minute."""
        data = text.encode("utf-8") + b"\0"
        with self.lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise VoiceLoadError(f"espeak-ng has no voice {voice!r}")
            self._lib.espeak_SetParameter(_ESPEAK_RATE, rate, 0)
            self._collected = []
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
            raw = b"".join(self._collected)
            self._collected = []
        if status != _EE_OK:
            raise RuntimeError(f"espeak-ng synthesis failed with status {status}")
        return (np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0).astype(np.float32)


@functools.cache
def espeak_library() -> EspeakLibrary:
    """The process's one :class:`EspeakLibrary` (espeak-ng state is process-global in C)."""
    return EspeakLibrary()


@dataclass(eq=False)
class FallbackVoice:
    """espeak-ng speaking Swedish: robotic but needs nothing beyond the pip packages.

    Not bit-exact from call to call: espeak-ng carries waveform phase from one
    utterance to the next, so the same text may differ by a few samples.
    """

    name: str
    language: str
    sample_rate: int
    fingerprint: str
    espeak_voice: str
    _library: EspeakLibrary = field(repr=False)
    fallback: bool = True
    quality: str | None = "fallback"

    @classmethod
    def load(cls, language: str = "sv") -> FallbackVoice:
        """Initialise espeak-ng (once per process) and check it has ``language``."""
        library = espeak_library()
        digest = hashlib.sha256()
        for part in (
            "espeak-ng",
            library.version,
            _version("espeakng-loader"),
            file_sha256(library.library_path),
            _espeak_data_digest(library.data_path, language),
            language,
            f"engine={ENGINE_REVISION} peak={PEAK}",
        ):
            digest.update(part.encode())
            digest.update(b"\0")
        voice = cls(
            name=f"espeak-ng-{language}",
            language=language,
            sample_rate=library.sample_rate,
            fingerprint=digest.hexdigest(),
            espeak_voice=language,
            _library=library,
        )
        with library.lock:
            if library._lib.espeak_SetVoiceByName(language.encode()) != _EE_OK:
                raise VoiceLoadError(f"espeak-ng has no voice for language {language!r}")
        return voice

    def synthesize(self, text: str, *, length_scale: float = 1.0) -> Samples:
        """Speak ``text``; ``length_scale`` 2 is half as fast."""
        rate = max(80, min(450, round(_ESPEAK_DEFAULT_RATE / max(length_scale, 0.1))))
        samples = self._library.synthesize(self.espeak_voice, text, rate)
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        if peak > 1e-6:
            samples = (samples * (PEAK / peak)).astype(np.float32)
        return samples
