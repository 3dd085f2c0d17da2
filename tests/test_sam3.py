"""SAM 3 concepts on a tiny random configuration: the same instances as transformers' own
processor + model + post-processing, the photo encoded once, the weights found offline."""

from __future__ import annotations

import functools
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from conftest import textured_image

pytest.importorskip("transformers")
pytest.importorskip("open_clip")

from sam3_tiny import save_tiny, tiny_model  # noqa: E402

PROMPTS = ("car", "pavement", "a person riding a bike")


@functools.lru_cache(maxsize=1)
def reference_processor():
    """transformers' own Sam3Processor, its tokenizer from open_clip's (not segcore's) reading of
    CLIP's vocabulary."""
    from open_clip.tokenizer import SimpleTokenizer
    from transformers import CLIPTokenizer, Sam3ImageProcessor, Sam3Processor

    st = SimpleTokenizer()
    merges = sorted(st.bpe_ranks, key=st.bpe_ranks.get)
    tok = CLIPTokenizer(vocab=dict(st.encoder), merges=merges, bos_token="<start_of_text>",
                        eos_token="<end_of_text>", pad_token="<end_of_text>", unk_token="<end_of_text>")
    return Sam3Processor(image_processor=Sam3ImageProcessor(size={"height": 224, "width": 224}), tokenizer=tok)


def reference(model, rgb, text, threshold):
    import torch

    proc = reference_processor()
    inputs = proc(images=rgb, text=text, return_tensors="pt")
    with torch.inference_mode():
        out = model(**inputs)
    return proc.post_process_instance_segmentation(out, threshold=threshold,
                                                   target_sizes=inputs["original_sizes"].tolist())[0]


@pytest.fixture(scope="module")
def tiny():
    return tiny_model(seed=0, num_queries=12)


def test_clip_tokenizer_reads_the_vocabulary_as_clip_does():
    from open_clip.tokenizer import SimpleTokenizer

    from segcore.models.sam3 import clip_tokenizer

    tok, st = clip_tokenizer(), SimpleTokenizer()
    assert len(tok) == 49408
    for text in ("car", "Pavement", "a person riding a bike", "traffic-light!", "café au lait", "road  sign"):
        ids = tok(text)["input_ids"]
        assert ids == [st.sot_token_id] + st.encode(text) + [st.eot_token_id], text


def test_find_equals_transformers_processor_model_and_post_processing(tiny):
    from segcore.models.sam3 import ConceptModel, offline_processor

    rgb = textured_image(90, 130, seed=3)
    cm = ConceptModel(tiny, offline_processor(224))
    cm.set_image(rgb)
    kept_some = dropped_some = False
    for text in PROMPTS:
        scores = reference(tiny, rgb, text, 0.0)["scores"].numpy()
        threshold = float(np.median(scores))      # about half kept: the threshold is exercised
        ref = reference(tiny, rgb, text, threshold)
        got = cm.find(text, threshold)
        assert len(got) == len(ref["scores"]), text
        kept_some |= len(got) > 0
        dropped_some |= len(got) < len(scores)
        for inst, mask, score, box in zip(got, ref["masks"], ref["scores"], ref["boxes"]):
            assert inst.mask.shape == (90, 130) and inst.mask.dtype == bool
            # the photo encoded once against transformers' one call: the same sums in another
            # order can turn a pixel whose logit is ~0 (a random model has many): one in a thousand at most
            differ = int((inst.mask != mask.numpy().astype(bool)).sum())
            assert differ <= inst.mask.size // 1000, (text, differ)
            assert inst.score == pytest.approx(float(score), rel=1e-5, abs=1e-6) and inst.score > threshold
            assert inst.box == pytest.approx(tuple(float(v) for v in box.tolist()), abs=1e-3)
    assert kept_some and dropped_some
    assert any(inst.mask.any() and not inst.mask.all() for inst in cm.find(PROMPTS[0], 0.0))


def test_the_photo_is_encoded_once_and_each_prompt_read_once(tiny, monkeypatch):
    from segcore.models.sam3 import ConceptModel, offline_processor

    cm = ConceptModel(tiny, offline_processor(224))
    calls = {"vision": 0, "text": 0}
    vision, text = tiny.get_vision_features, tiny.get_text_features

    def count(kind, fn):
        def wrapped(*a, **k):
            calls[kind] += 1
            return fn(*a, **k)
        return wrapped

    monkeypatch.setattr(tiny, "get_vision_features", count("vision", vision))
    monkeypatch.setattr(tiny, "get_text_features", count("text", text))
    for seed in (1, 2):
        found = cm.instances(textured_image(60, 80, seed=seed), PROMPTS, threshold=0.0)
        assert [len(f) for f in found] == [12, 12, 12]
    assert calls == {"vision": 2, "text": len(PROMPTS)}
    cm.instances(textured_image(60, 80, seed=2), PROMPTS[:1], key="same")
    cm.instances(textured_image(60, 80, seed=2), PROMPTS[:1], key="same")
    assert calls["vision"] == 3


def test_mistakes_read_as_one_line(tiny):
    from segcore.errors import PromptError
    from segcore.models.sam3 import ConceptModel, offline_processor

    cm = ConceptModel(tiny, offline_processor(224))
    with pytest.raises(PromptError, match="set_image"):
        cm.find("car")
    cm.set_image(textured_image(40, 50))
    for bad, match in (("", "noun phrase"), ("  ", "noun phrase"), ("car " * 40, "too long")):
        with pytest.raises(PromptError, match=match):
            cm.find(bad)
    with pytest.raises(PromptError, match="between 0 and 1"):
        cm.find("car", threshold=1.5)
    with pytest.raises(PromptError, match="RGB uint8"):
        cm.set_image(np.zeros((10, 10), np.uint8))


def test_a_named_folder_loads_offline_and_answers_the_same(tiny, tmp_path, monkeypatch):
    from segcore.models import CONCEPTS, load, names
    from segcore.models.sam3 import ConceptModel, offline_processor

    assert "sam3" in names(CONCEPTS)
    folder = save_tiny(tmp_path / "sam3", seed=0, num_queries=12)
    rgb = textured_image(70, 90, seed=5)
    mine = ConceptModel(tiny, offline_processor(224))
    mine.set_image(rgb)
    for how in ("argument", "environment", "auto"):
        if how == "argument":
            cm = load("sam3", CONCEPTS, weights=folder, offline=True)
        else:
            monkeypatch.setenv("SEGCORE_WEIGHTS", f"sam3={folder}")
            cm = load("sam3" if how == "environment" else "auto", CONCEPTS, offline=True)
        cm.set_image(rgb)
        a, b = cm.find("car", 0.0), mine.find("car", 0.0)
        assert len(a) == len(b) == 12
        assert all((x.mask == y.mask).all() and x.score == y.score for x, y in zip(a, b))


def test_missing_or_wrong_weights_name_the_folder(tmp_path, monkeypatch):
    from segcore.errors import WeightsError
    from segcore.models import CONCEPTS, load

    monkeypatch.delenv("SEGCORE_WEIGHTS", raising=False)
    for name in ("sam3", "auto"):
        with pytest.raises(WeightsError) as e:
            load(name, CONCEPTS, offline=True)
        msg = str(e.value)
        assert "\n" not in msg and "offline" in msg and os.path.join("hub", "checkpoints") in msg and "sam3" in msg
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeightsError, match="no config.json"):
        load("sam3", CONCEPTS, weights=tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{}")
    with pytest.raises(WeightsError, match="no readable SAM 3 weights"):
        load("sam3", CONCEPTS, weights=tmp_path / "broken")


class _GatedHub(BaseHTTPRequestHandler):
    """Answers every request as the hub answers a gated model to a user without access."""

    def _gated(self):
        body = b'{"error": "Access to model facebook/sam3 is restricted."}'
        self.send_response(403)
        self.send_header("X-Error-Code", "GatedRepo")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _gated

    def log_message(self, *a):
        pass


def test_gated_weights_say_how_to_get_access(tmp_path, monkeypatch):
    """A local server stands in for the hub (no test touches the network)."""
    from segcore.errors import WeightsError
    from segcore.models import CONCEPTS, load

    server = ThreadingHTTPServer(("127.0.0.1", 0), _GatedHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SEGCORE_OFFLINE", "0")
    monkeypatch.setenv("SEGCORE_WEIGHTS_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.delenv("SEGCORE_WEIGHTS", raising=False)
    try:
        with pytest.raises(WeightsError) as e:
            load("sam3", CONCEPTS)
    finally:
        server.shutdown()
    msg = str(e.value)
    assert "\n" not in msg and "gated" in msg and "licence" in msg and "log in" in msg
    assert "huggingface.co/facebook/sam3" in msg and "folder" in msg
