"""The prompter menu through the served app (gradio_client): without weights clicks fall back to
GrabCut and the session is told once which file to put where; with a random-weight MobileSAM
(built by the official package, named in SEGCORE_SAM_WEIGHTS) a click right after opening an
item is answered with SAM's mask of that item, the next item is encoded ahead, and a click that
comes before its item's encoding waits for it and says so."""

from __future__ import annotations

import time

import numpy as np
import pytest
from gradio_client import Client

from test_app_edits import mask_of

pytest.importorskip("segment_anything")
pytest.importorskip("mobile_sam")

from segcore.dataset import open_dataset  # noqa: E402
from segcore.image import load as load_image  # noqa: E402

X, Y = 150, 110           # inside the bright square of every scene (conftest.scene_dataset)
CAR = 1                   # classes: background, car, person


def submit(client, *args, api_name):
    """``(result, messages)``: the outputs and the gr.Info / gr.Warning texts of one call."""
    job = client.submit(*args, api_name=api_name)
    result = job.result(timeout=120)
    messages = []
    q = job.communicator.updates
    while not q.empty():
        log = getattr(q.get_nowait(), "log", None)
        if log:
            messages.append(log[0])
    return result, messages


@pytest.fixture
def random_mobile_sam(mobile_sam_weights):
    """The session's random-weight MobileSAM (conftest), as the user's file named in SEGCORE_SAM_WEIGHTS."""
    return mobile_sam_weights


def test_without_weights_offline_clicks_use_grabcut_and_say_so_once(dataset_app, monkeypatch):
    monkeypatch.delenv("SEGCORE_SAM_WEIGHTS", raising=False)
    url, _ = dataset_app
    c = Client(url, verbose=False)
    t = time.perf_counter()
    _, said = submit(c, "mobile_sam", api_name="/set_prompter")
    assert time.perf_counter() - t < 10
    assert any("GrabCut" in m and "mobile_sam.pt" in m and "offline" in m for m in said), said
    (value, _, _), said = submit(c, X, Y, "add", "car", "", api_name="/click_point")
    car = mask_of(value) == CAR
    assert car[60:180, 80:240].mean() > 0.9 and car.mean() < 0.4      # GrabCut found the square
    assert not any("GrabCut" in m for m in said), said                 # told once, not at every click
    (value, _, _), said = submit(c, "2", api_name="/open_item")
    assert not any("GrabCut" in m for m in said), said


@pytest.mark.slow
def test_sam_answers_a_click_right_after_opening_with_that_items_mask(dataset_app, random_mobile_sam, monkeypatch):
    from demo import prompters
    from segcore.models.prompters.sam import load_sam

    url, folder = dataset_app
    monkeypatch.setenv("SEGCORE_SAM_WEIGHTS", f"mobile_sam={random_mobile_sam}")
    sam = load_sam("mobile_sam", weights=random_mobile_sam)
    rgb, want = {}, {}
    for name in ("scene1", "scene2", "scene3"):
        rgb[name] = load_image(folder / f"{name}.png")
        sam.set_image(rgb[name])
        want[name] = sam.predict([(X, Y, True)], multimask=True).mask
    # A mask decoded on another item's embedding would show: the items' masks differ.
    assert (want["scene1"] != want["scene2"]).sum() > 50 and (want["scene2"] != want["scene3"]).sum() > 50

    c = Client(url, verbose=False)
    _, said = submit(c, "mobile_sam", api_name="/set_prompter")
    assert not any("GrabCut" in m for m in said), said
    c.predict("scene1", api_name="/open_item")
    (value, _, status), _ = submit(c, X, Y, "add", "car", "", api_name="/click_point")
    assert np.array_equal(mask_of(value) == CAR, want["scene1"])

    pf = prompters._loaded[("mobile_sam", str(random_mobile_sam))]
    root = open_dataset(folder).root
    ahead = prompters.item_key(type("DS", (), {"root": root}), "scene2", rgb["scene2"])
    for _ in range(30):               # the next item: queued behind scene1, then encoded
        if pf.state(ahead) in ("running", "done"):
            break
        time.sleep(0.1)
    assert pf.state(ahead) in ("running", "done")
    c.predict("scene2", api_name="/open_item")
    value, _, _ = c.predict(X, Y, "add", "car", "", api_name="/click_point")
    assert np.array_equal(mask_of(value) == CAR, want["scene2"])

    # A click that comes before its item's encoding waits for it, says so, and gets its mask.
    encode = pf.prompter.encode
    monkeypatch.setattr(pf.prompter, "encode", lambda image: (time.sleep(1.0), encode(image))[1])
    pf.clear()
    _, _, status = c.predict("scene3", api_name="/open_item")
    assert prompters.ENCODING in status
    (value, _, status), said = submit(c, X, Y, "add", "car", "", api_name="/click_point")
    assert any("Encoding the image for clicks" in m for m in said), said
    assert np.array_equal(mask_of(value) == CAR, want["scene3"]) and prompters.ENCODING not in status


@pytest.mark.slow
def test_auto_fetches_mobile_sam_at_the_first_click_and_the_next_click_uses_it(dataset_app, random_mobile_sam,
                                                                                monkeypatch, tmp_path):
    """A local server stands in for the download site (never the network): the first click of a
    fresh session starts the download, GrabCut answers it and the status line shows the
    download's progress; once the file is here (checked against the checksum stated for the
    served file), the next click is MobileSAM's."""
    import hashlib

    from test_fetch import weights_server

    from segcore.models import fetch
    from segcore.models.prompters.sam import load_sam
    from segcore.models.registry import get
    from segcore.models.weights import checkpoint_dir

    url, folder = dataset_app
    data = random_mobile_sam.read_bytes()
    monkeypatch.delenv("SEGCORE_OFFLINE", raising=False)
    monkeypatch.delenv("SEGCORE_SAM_WEIGHTS", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("SEGCORE_WEIGHTS_SHA256", f"mobile_sam.pt={hashlib.sha256(data).hexdigest()}")
    sam = load_sam("mobile_sam", weights=random_mobile_sam)
    rgb = load_image(folder / "scene2.png")
    sam.set_image(rgb)
    want = sam.predict([(X, Y, True)], multimask=True).mask
    with weights_server({"mobile_sam.pt": data}, delay=0.004) as (base, srv):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", base)
        c = Client(url, verbose=False)
        c.predict("scene0", api_name="/open_item")       # an item no other test labelled
        assert srv.requests == []                         # opening an item downloads nothing
        (value, _, status), said = submit(c, X, Y, "add", "car", "", api_name="/click_point")
        assert "downloading mobile_sam.pt" in status and "GrabCut answers meanwhile" in status, status
        assert any("Downloading the MobileSAM weights" in m for m in said), said
        car = mask_of(value) == CAR
        assert car[60:180, 80:240].mean() > 0.9                        # GrabCut's answer meanwhile
        fetch.downloading(get("mobile_sam").published).wait(120)
    assert (checkpoint_dir() / "mobile_sam.pt").read_bytes() == data and len(srv.requests) == 1
    c.predict("scene2", api_name="/open_item")
    (value, _, status), _ = submit(c, X, Y, "add", "car", "", api_name="/click_point")
    assert "downloading" not in status and np.array_equal(mask_of(value) == CAR, want)
