"""Review media: a video becomes a strip of key-frame stills, a broken picture a note, and sealed media
open only for the item, variant and frame they were sealed for."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from vigilant.demo.pictures import draw_image
from vigilant.demo.video import make_demo_videos
from vigilant.perceptual import vpdq
from vigilant.review.media import seal, stills_of_picture, stills_of_video, unseal
from vigilant.security.secretbox import SecretBox, SecretUnreadable


@pytest.mark.skipif(not vpdq.VPDQ_AVAILABLE, reason="PyAV (the video extra) is not installed")
def test_a_video_is_a_strip_of_key_frames(tmp_path: Path) -> None:
    videos = make_demo_videos(tmp_path, draw_image)
    assert videos is not None
    media = stills_of_video(videos.seized_copy.read_bytes())
    assert media.note is None
    assert 1 <= len(media.stills) <= 4
    for still in media.stills:
        assert Image.open(io.BytesIO(still.blurred)).mode == "L"
        assert Image.open(io.BytesIO(still.clear)).mode == "RGB"


def test_a_picture_that_does_not_decode_gets_a_note_not_an_error() -> None:
    media = stills_of_picture(b"\xff\xd8\xff not really a jpeg", "full")
    assert media.stills == []
    assert media.note is not None
    assert media.note.startswith("not decoded")
    assert stills_of_video(b"not a video").stills == []


def test_sealed_media_open_only_where_they_were_sealed() -> None:
    box = SecretBox.generate()
    out = io.BytesIO()
    draw_image(5, (400, 300)).save(out, "JPEG")
    still = stills_of_picture(out.getvalue(), "full").stills[0]
    sealed = seal(box, still.clear, item_id=7, variant="clear", frame=0)
    assert still.clear not in sealed
    assert unseal(box, sealed, item_id=7, variant="clear", frame=0) == still.clear
    with pytest.raises(SecretUnreadable):
        unseal(box, sealed, item_id=8, variant="clear", frame=0)  # copied onto another item's row
    with pytest.raises(SecretUnreadable):
        unseal(box, sealed, item_id=7, variant="blurred", frame=0)
