"""The prefetcher: embeddings encoded in the background, kept for a few items, waited for."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from segcore.models.prompters.base import Prompter, PromptResult
from segcore.models.prompters.prefetch import Prefetcher


class SlowPrompter(Prompter):
    """Encodes in ``delay`` seconds; the mask is the embedding's number everywhere."""

    name = "slow"

    def __init__(self, delay=0.2, fail_on=None):
        super().__init__()
        self.delay, self.fail_on = delay, fail_on
        self.encoded: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()     # set when an encode has begun
        self.emb = None

    def encode(self, rgb):
        self.started.set()
        self.gate.wait()
        time.sleep(self.delay)
        tag = int(rgb[0, 0, 0])
        if tag == self.fail_on:
            raise ValueError(f"cannot encode {tag}")
        self.encoded.append(tag)
        return {"tag": tag}

    def _set_image(self, rgb):
        self.emb = self.encode(rgb)

    def _set_embedding(self, rgb, embedding):
        self.emb = embedding

    def _predict(self, points, box, mask_input, multimask, prior):
        return PromptResult(np.full(self._rgb.shape[:2], self.emb["tag"] % 2 == 1))


def image(tag, shape=(8, 10)):
    rgb = np.zeros((*shape, 3), np.uint8)
    rgb[0, 0, 0] = tag
    return rgb


def test_prefetch_returns_at_once_and_a_click_waits_for_its_encoding():
    p = SlowPrompter(delay=0.3)
    pf = Prefetcher(p)
    t = time.perf_counter()
    pf.prefetch("a", image(1))
    assert time.perf_counter() - t < 0.1 and not pf.ready("a")
    waits = []
    assert pf.set_image("a", image(1), on_wait=lambda: waits.append(1)) is True
    assert waits == [1] and pf.ready("a") and p.emb == {"tag": 1} and p.encoded == [1]
    assert p.predict([(1, 1, True)]).mask.all()
    assert pf.set_image("a", image(1), on_wait=lambda: waits.append(2)) is False   # kept: no wait
    assert waits == [1] and p.encoded == [1]
    pf.close()


def test_the_next_item_is_encoded_while_the_current_one_is_clicked():
    p = SlowPrompter(delay=0.2)
    pf = Prefetcher(p)
    pf.prefetch("a", image(1))
    pf.prefetch("b", image(2))
    pf.set_image("a", image(1))
    t = time.perf_counter()
    p.predict([(1, 1, True)])   # the prompter serves clicks while b encodes behind
    assert time.perf_counter() - t < 0.1
    assert pf.get("b") == {"tag": 2} and p.encoded == [1, 2]
    pf.close()


def test_a_waited_for_item_jumps_the_queue_and_only_a_few_are_kept():
    p = SlowPrompter(delay=0.05)
    p.gate.clear()                      # hold the worker on the first encode
    pf = Prefetcher(p, size=4)
    pf.prefetch(1, image(1))
    assert p.started.wait(10)           # the worker holds item 1 before the others queue up
    for k in range(2, 7):
        pf.prefetch(k, image(k))
    p.gate.set()
    assert pf.get(6) == {"tag": 6}
    assert p.encoded[:2] == [1, 6]
    deadline = time.time() + 5
    while pf.state(5) != "done" and time.time() < deadline:
        time.sleep(0.01)
    assert pf.state(1) is None and pf.state(2) is None      # dropped: the newest 4 are kept
    assert 2 not in p.encoded                               # a dropped queued encode never runs
    assert [k for k in range(1, 7) if pf.state(k)] == [3, 4, 5, 6]
    pf.close()


def test_an_item_never_prefetched_is_encoded_on_the_spot_and_errors_reach_the_caller():
    p = SlowPrompter(delay=0.0, fail_on=9)
    pf = Prefetcher(p)
    assert pf.get("x", image(3)) == {"tag": 3}
    with pytest.raises(KeyError):
        pf.get("never")
    pf.prefetch("bad", image(9))
    with pytest.raises(ValueError, match="cannot encode 9"):
        pf.get("bad")
    assert pf.state("bad") is None                          # not kept: the next get tries again
    assert pf.get("x", image(3, shape=(5, 5))) == {"tag": 3} and p.encoded == [3, 3]   # image changed
    pf.close()


def test_a_prompter_without_an_encoder_works_through_the_prefetcher():
    class Plain(SlowPrompter):
        def encode(self, rgb):
            return None

        def _set_image(self, rgb):
            self.emb = {"tag": int(rgb[0, 0, 0])}

    p = Plain()
    pf = Prefetcher(p)
    pf.prefetch("a", image(5))
    pf.set_image("a", image(5))
    assert p.emb == {"tag": 5} and p.is_image_set
    pf.close()


def test_prefetched_prompters_share_one_prompter_and_never_mix_their_images():
    from segcore.models.prompters.prefetch import PrefetchedPrompter

    p = SlowPrompter(delay=0.2)
    pf = Prefetcher(p)
    pf.prefetch("odd", image(1))
    waits = []
    odd = PrefetchedPrompter(pf, "odd", on_wait=lambda: waits.append("odd"))
    even = PrefetchedPrompter(pf, "even", on_wait=lambda: waits.append("even"))
    odd.set_image(image(1))          # waits for the encode started ahead
    even.set_image(image(2))         # never asked ahead: encoded now
    assert odd.waited and even.waited and waits == ["odd", "even"] and odd.name == "slow"
    for _ in range(2):               # interleaved: each gets its own image's answer
        assert odd.predict([(1, 1, True)]).mask.all()
        assert not even.predict([(1, 1, True)]).mask.any()
    again = PrefetchedPrompter(pf, "odd")
    again.set_image(image(1))
    assert not again.waited and p.encoded == [1, 2]   # kept: no second encode
    pf.close()
