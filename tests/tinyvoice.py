"""A tiny but real Piper voice for tests: a few-KB ONNX model plus its config.

The model has exactly the interface of Piper's exported VITS voices (inputs
``input`` int64 [1, n], ``input_lengths`` int64 [1], ``scales`` float32 [3];
output ``output`` float32 [1, 1, samples], and ``durations`` [1, n] like a voice
patched by ``piper.patch_voice_with_alignment``), so the real
``piper.PiperVoice.load`` → espeak-ng phonemization → onnxruntime path runs.
Instead of speech it writes, for every phoneme id, about 70 ms (times the
length scale ``scales[1]``) of a sine tone whose pitch depends on the id:
non-silent, deterministic and of predictable length.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = [
    "MS_PER_PHONEME_ID",
    "PHONEME_ID_MAP",
    "SAMPLE_RATE",
    "expected_samples",
    "make_tiny_voice",
    "tiny_voice_config",
]

SAMPLE_RATE = 22050
"""Sample rate of the tiny voice's output."""

MS_PER_PHONEME_ID = 70.0
"""Milliseconds of audio per phoneme id at length scale 1."""

BASE_HZ = 120.0
"""Pitch of phoneme id 0; each id adds :data:`HZ_PER_ID`."""

HZ_PER_ID = 8.0

HOP_LENGTH = 256
"""Piper's default hop length: the second output gives each id's length in hops."""

# The standard Piper phoneme id map (espeak phonemes), as shipped in every
# espeak-based Piper voice config; copied from en_US-joe-medium.onnx.json.
PHONEME_ID_MAP: dict[str, list[int]] = {
    "_": [0],
    "^": [1],
    "$": [2],
    " ": [3],
    "!": [4],
    "'": [5],
    "(": [6],
    ")": [7],
    ",": [8],
    "-": [9],
    ".": [10],
    ":": [11],
    ";": [12],
    "?": [13],
    "a": [14],
    "b": [15],
    "c": [16],
    "d": [17],
    "e": [18],
    "f": [19],
    "h": [20],
    "i": [21],
    "j": [22],
    "k": [23],
    "l": [24],
    "m": [25],
    "n": [26],
    "o": [27],
    "p": [28],
    "q": [29],
    "r": [30],
    "s": [31],
    "t": [32],
    "u": [33],
    "v": [34],
    "w": [35],
    "x": [36],
    "y": [37],
    "z": [38],
    "æ": [39],
    "ç": [40],
    "ð": [41],
    "ø": [42],
    "ħ": [43],
    "ŋ": [44],
    "œ": [45],
    "ǀ": [46],
    "ǁ": [47],
    "ǂ": [48],
    "ǃ": [49],
    "ɐ": [50],
    "ɑ": [51],
    "ɒ": [52],
    "ɓ": [53],
    "ɔ": [54],
    "ɕ": [55],
    "ɖ": [56],
    "ɗ": [57],
    "ɘ": [58],
    "ə": [59],
    "ɚ": [60],
    "ɛ": [61],
    "ɜ": [62],
    "ɞ": [63],
    "ɟ": [64],
    "ɠ": [65],
    "ɡ": [66],
    "ɢ": [67],
    "ɣ": [68],
    "ɤ": [69],
    "ɥ": [70],
    "ɦ": [71],
    "ɧ": [72],
    "ɨ": [73],
    "ɪ": [74],
    "ɫ": [75],
    "ɬ": [76],
    "ɭ": [77],
    "ɮ": [78],
    "ɯ": [79],
    "ɰ": [80],
    "ɱ": [81],
    "ɲ": [82],
    "ɳ": [83],
    "ɴ": [84],
    "ɵ": [85],
    "ɶ": [86],
    "ɸ": [87],
    "ɹ": [88],
    "ɺ": [89],
    "ɻ": [90],
    "ɽ": [91],
    "ɾ": [92],
    "ʀ": [93],
    "ʁ": [94],
    "ʂ": [95],
    "ʃ": [96],
    "ʄ": [97],
    "ʈ": [98],
    "ʉ": [99],
    "ʊ": [100],
    "ʋ": [101],
    "ʌ": [102],
    "ʍ": [103],
    "ʎ": [104],
    "ʏ": [105],
    "ʐ": [106],
    "ʑ": [107],
    "ʒ": [108],
    "ʔ": [109],
    "ʕ": [110],
    "ʘ": [111],
    "ʙ": [112],
    "ʛ": [113],
    "ʜ": [114],
    "ʝ": [115],
    "ʟ": [116],
    "ʡ": [117],
    "ʢ": [118],
    "ʲ": [119],
    "ˈ": [120],
    "ˌ": [121],
    "ː": [122],
    "ˑ": [123],
    "˞": [124],
    "β": [125],
    "θ": [126],
    "χ": [127],
    "ᵻ": [128],
    "ⱱ": [129],
    "0": [130],
    "1": [131],
    "2": [132],
    "3": [133],
    "4": [134],
    "5": [135],
    "6": [136],
    "7": [137],
    "8": [138],
    "9": [139],
    "̧": [140],
    "̃": [141],
    "̪": [142],
    "̯": [143],
    "̩": [144],
    "ʰ": [145],
    "ˤ": [146],
    "ε": [147],
    "↓": [148],
    "#": [149],
    '"': [150],
}


def _const(name: str, value: np.ndarray) -> onnx.NodeProto:
    return helper.make_node(
        "Constant", inputs=[], outputs=[name], value=numpy_helper.from_array(value, name)
    )


def _model() -> onnx.ModelProto:
    """Build the tone-per-phoneme-id graph."""
    samples_per_id = SAMPLE_RATE * MS_PER_PHONEME_ID / 1000.0
    nodes = [
        _const("c_zero_i", np.array(0, dtype=np.int64)),
        _const("c_one_i", np.array(1, dtype=np.int64)),
        _const("c_one_idx", np.array([1], dtype=np.int64)),
        _const("c_axes0", np.array([0], dtype=np.int64)),
        _const("c_spi", np.array([samples_per_id], dtype=np.float32)),
        _const("c_half", np.array([0.5], dtype=np.float32)),
        _const("c_base", np.array(BASE_HZ, dtype=np.float32)),
        _const("c_step", np.array(HZ_PER_ID, dtype=np.float32)),
        _const("c_omega", np.array(2.0 * np.pi / SAMPLE_RATE, dtype=np.float32)),
        _const("c_amp", np.array(0.5, dtype=np.float32)),
        _const("c_out_shape", np.array([1, 1, -1], dtype=np.int64)),
        # n = input_lengths[0]; ids = input[0, :n]
        helper.make_node("ReduceMax", ["input_lengths"], ["n"], keepdims=0),
        helper.make_node("Squeeze", ["input", "c_axes0"], ["ids_all"]),
        # samples per id = floor(spi * length_scale + 0.5), at least 1
        helper.make_node("Gather", ["scales", "c_one_idx"], ["length_scale"], axis=0),
        helper.make_node("Mul", ["c_spi", "length_scale"], ["spi_scaled"]),
        helper.make_node("Add", ["spi_scaled", "c_half"], ["spi_rounding"]),
        helper.make_node("Floor", ["spi_rounding"], ["spi_floor"]),
        helper.make_node("Cast", ["spi_floor"], ["spi_vec"], to=TensorProto.INT64),
        helper.make_node("ReduceMax", ["spi_vec"], ["spi_raw"], keepdims=0),
        helper.make_node("Max", ["spi_raw", "c_one_i"], ["spi"]),
        # t = 0 .. n * spi - 1; which id each sample belongs to
        helper.make_node("Mul", ["n", "spi"], ["total"]),
        helper.make_node("Range", ["c_zero_i", "total", "c_one_i"], ["t"]),
        helper.make_node("Div", ["t", "spi"], ["slot"]),
        helper.make_node("Gather", ["ids_all", "slot"], ["sample_ids"], axis=0),
        helper.make_node("Cast", ["sample_ids"], ["sample_ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["sample_ids_f", "c_step"], ["hz_offset"]),
        helper.make_node("Add", ["hz_offset", "c_base"], ["hz"]),
        helper.make_node("Cast", ["t"], ["t_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["t_f", "c_omega"], ["phase_unit"]),
        helper.make_node("Mul", ["phase_unit", "hz"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "c_amp"], ["wave_scaled"]),
        helper.make_node("Reshape", ["wave_scaled", "c_out_shape"], ["output"]),
        # Piper's alignment output: frames (of hop_length samples) per phoneme id
        _const("c_hop", np.array(HOP_LENGTH, dtype=np.float32)),
        _const("c_zero_f", np.array(0.0, dtype=np.float32)),
        helper.make_node("Cast", ["spi"], ["spi_f"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["spi_f", "c_hop"], ["frames_per_id"]),
        helper.make_node("Cast", ["ids_all"], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["ids_f", "c_zero_f"], ["ids_zero"]),
        helper.make_node("Add", ["ids_zero", "frames_per_id"], ["frames"]),
        helper.make_node("Unsqueeze", ["frames", "c_axes0"], ["durations"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_piper_voice",
        inputs=[
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
            helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
        ],
        outputs=[
            helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "time"]),
            helper.make_tensor_value_info("durations", TensorProto.FLOAT, [1, "phonemes"]),
        ],
    )
    model = helper.make_model(
        graph,
        producer_name="ttsservice-tests",
        opset_imports=[helper.make_opsetid("", 13)],
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tiny_voice_config(language: str = "sv", dataset: str = "test-tiny") -> dict[str, object]:
    """The Piper ``.onnx.json`` config of the tiny voice, for espeak voice ``language``."""
    region = {"sv": "SE", "en": "US"}.get(language, language.upper())
    return {
        "audio": {"sample_rate": SAMPLE_RATE, "quality": "x_low"},
        "espeak": {"voice": language},
        "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_map": {},
        "phoneme_id_map": PHONEME_ID_MAP,
        "num_symbols": 256,
        "num_speakers": 1,
        "speaker_id_map": {},
        "piper_version": "1.0.0",
        "language": {"code": f"{language}_{region}", "family": language, "region": region},
        "dataset": dataset,
    }


def make_tiny_voice(folder: Path, name: str = "sv_SE-test-tiny", language: str = "sv") -> Path:
    """Write ``NAME.onnx`` and ``NAME.onnx.json`` into ``folder``; return the model's path."""
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / f"{name}.onnx"
    model_path.write_bytes(_model().SerializeToString())
    config = tiny_voice_config(language, dataset=name.split("-")[1] if "-" in name else name)
    Path(f"{model_path}.json").write_text(
        json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return model_path


def expected_samples(phoneme_ids: int, length_scale: float = 1.0) -> int:
    """How many samples the tiny voice writes for ``phoneme_ids`` ids."""
    per_id = max(1, int(np.floor(SAMPLE_RATE * MS_PER_PHONEME_ID / 1000.0 * length_scale + 0.5)))
    return phoneme_ids * per_id
