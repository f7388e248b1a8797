"""Fixtures for the media tests: the shipped clips, copies of them, and a synthetic clip with one hard cut."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The test modules import the clip writers as `clips`; make that work under any pytest import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from clips import VIDEOS, Segment, solid, write_video  # noqa: E402


@pytest.fixture
def fixture_video() -> Callable[[str], Path]:
    def get(name: str) -> Path:
        p = VIDEOS / name
        assert p.is_file(), f"missing test fixture {p}"
        return p

    return get


@pytest.fixture
def copy_of(tmp_path: Path) -> Callable[[Path, str], Path]:
    def copy(src: Path, name: str) -> Path:
        dst = tmp_path / name
        shutil.copyfile(src, dst)
        return dst

    return copy


@pytest.fixture(scope="session")
def cut_clip(tmp_path_factory) -> Path:
    """4 s: 2 s noisy red then 2 s noisy blue (a hard cut at 2.0 s), 160x96 at 10 fps, with a 440 Hz tone."""
    path = tmp_path_factory.mktemp("clips") / "red_blue.mp4"
    size = (160, 96)
    return write_video(
        path,
        [Segment(2.0, solid((200, 30, 30), size, seed=1)), Segment(2.0, solid((30, 40, 200), size, seed=2))],
        size=size,
        audio_tone=440.0,
    )
