"""Shared fixtures for the encoder tests: the CC0 test photos and espeak-ng speech."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "images"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def photo(name: str) -> np.ndarray:
    """A real CC0 product photo from tests/fixtures/images (shoe, tshirt, pants) as RGB uint8."""
    return np.asarray(Image.open(FIXTURES / f"cc0-{name}.jpg").convert("RGB"))


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    return {name: photo(name) for name in ("shoe", "tshirt", "pants")}


def speak(tmp_path: Path, voice: str, text: str) -> np.ndarray:
    """`text` spoken by espeak-ng, as 16 kHz mono float32 (skips the test when espeak-ng is missing)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    out = tmp_path / f"speech-{abs(hash((voice, text)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True, capture_output=True)
    rate, pcm = wavfile.read(out)
    audio = pcm.astype(np.float32) / 32768.0
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    g = np.gcd(16000, rate)
    return resample_poly(audio, 16000 // g, rate // g).astype(np.float32)
