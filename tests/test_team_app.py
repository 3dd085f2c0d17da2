"""Two sessions on one item through gradio_client, as two people would: on copies of camvid-20
(a VOC root) and coco-24, with one server and with two ``segcore-app`` processes serving one
folder, and with a script rewriting the label file while the item is open. Nothing is lost:
different regions both land; the same pixels changed differently give the second saver the
conflict (one line naming the item), both versions are on disk, and either choice gives exactly
that version; the History endpoint says who made each version and restores one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client

from segcore.dataset import open_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camvid import camvid_voc, truth_of  # noqa: E402
from conftest import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def paint(c: Client, box, cls, data=None):
    """The rectangle ``box`` (corners included) takes class ``cls`` (any pixel). On a COCO file
    (``data``) a polygon is an object whose vertices run along pixel edges, drawn as pycocotools
    draws them: the last column and row are at x1 + 1 and y1 + 1."""
    x0, y0, x1, y1 = box
    if data is not None and Path(data).suffix == ".json":
        x1, y1 = x1 + 1, y1 + 1
    return c.predict(rect(x0, y0, x1, y1), str(cls), "any", api_name="/polygon")


def disk(folder, name):
    ds = open_dataset(folder)
    return ds.read_labels(ds.index_of(name))


def camvid_root(shared_data, where: Path) -> Path:
    root = camvid_voc(shared_data / "camvid-20", where)
    ds = open_dataset(root)
    for i in range(3):
        ds.write_labels(i, truth_of(root, ds.names[i]), tool="ground truth")
    return root


def start(dataset, port: int) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", SEGCORE_OFFLINE="1", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "demo", str(dataset), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False)
            return proc
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError("the app did not start")
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start")


@pytest.fixture(scope="module")
def in_process(shared_data, tmp_path_factory):
    """``{kind: (url, url, dataset path, item)}``: camvid and coco, each served by one app in
    this process (the two clients' url the same)."""
    from demo.app import build_demo

    base = tmp_path_factory.mktemp("teamapp")
    out, demos = {}, []
    root = camvid_root(shared_data, base / "camvid")
    shutil.copytree(shared_data / "coco-24", base / "coco")
    coco = base / "coco" / "annotations.json"
    for kind, data in (("camvid", root), ("coco", coco)):
        demo = build_demo(data).queue(default_concurrency_limit=4)
        port = free_port()
        demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
        demos.append(demo)
        url = f"http://127.0.0.1:{port}/"
        out[kind] = (url, url, data, open_dataset(data).names[1])
    yield out
    for d in demos:
        d.close()


@pytest.fixture(scope="module")
def two_servers(shared_data, tmp_path_factory):
    """``(url, url, dataset path, item)``: camvid behind two ``segcore-app`` processes."""
    two = camvid_root(shared_data, tmp_path_factory.mktemp("teamapp2") / "camvid")
    ports = [free_port(), free_port()]
    procs = [start(two, p) for p in ports]
    yield (f"http://127.0.0.1:{ports[0]}/", f"http://127.0.0.1:{ports[1]}/", two, open_dataset(two).names[1])
    for p in procs:
        p.terminate()
        p.wait(timeout=60)


@pytest.fixture
def served(request):
    """The setups by kind; the server processes start only for a test that asks for them."""
    class Kinds(dict):
        def __missing__(self, kind):
            return request.getfixturevalue("two_servers")

    return Kinds(request.getfixturevalue("in_process"))


KINDS = ["camvid", "coco", pytest.param("two servers", marks=pytest.mark.slow)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("order", ["a first", "b first"])
def test_different_regions_both_land(served, kind, order):
    url_a, url_b, data, item = served[kind]
    a, b = Client(url_a, verbose=False), Client(url_b, verbose=False)
    a.predict(item, api_name="/open_item")
    b.predict(item, api_name="/open_item")
    y = 20 if order == "a first" else 120
    jobs = [(a, (10, y, 70, y + 40), 3), (b, (200, y, 260, y + 40), 5)]
    for c, box, cls in jobs if order == "a first" else jobs[::-1]:
        paint(c, box, cls, data)
    labels = disk(data, item)
    assert (labels[y:y + 41, 10:71] == 3).all() and (labels[y:y + 41, 200:261] == 5).all()
    # The one that saved first sees the other's edit at its next action.
    first = a if order == "a first" else b
    value, _, _ = first.predict(api_name="/apply_edit")
    assert value["w"] == labels.shape[1]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_same_pixels_conflict_then_choose(served, kind, choice):
    url_a, url_b, data, item = served[kind]
    a, b = Client(url_a, verbose=False), Client(url_b, verbose=False)
    a.predict(item, api_name="/open_item")
    b.predict(item, api_name="/open_item")
    box = (300, 200 if choice == "mine" else 260, 360, 240 if choice == "mine" else 300)
    paint(a, box, 8, data)
    theirs = disk(data, item)
    with pytest.raises(Exception) as e:
        paint(b, box, 9, data)
    message = str(e.value)
    assert item in message and "Keep mine" in message and "\n" not in message.strip()
    # Both versions are on disk: theirs in the label file, mine in the item's history.
    ds = open_dataset(data)
    i = ds.index_of(item)
    np.testing.assert_array_equal(ds.read_labels(i), theirs)
    kept = ds.item_versions(i)[-1]
    assert kept.kind == "conflict"
    mine = ds.read_version(i, kept.number)
    x0, y0, x1, y1 = box
    assert (mine[y0:y1 + 1, x0:x1 + 1] == 9).all()
    b.predict(choice, api_name="/resolve_conflict")
    want = mine if choice == "mine" else theirs
    np.testing.assert_array_equal(disk(data, item), want)
    # The session that lost or won learns of it: its next action shows the item as on disk.
    a.predict(api_name="/apply_edit")
    np.testing.assert_array_equal(disk(data, item), want)


def rewrite(data, item, rows, cls):
    """What a script does while the item is open: rows ``rows`` of the item take class ``cls``,
    written into the label file by other means than the app (a PNG by Pillow; a COCO file by a
    script on segcore's library, a Dataset of its own)."""
    ds = open_dataset(data)
    i = ds.index_of(item)
    labels = ds.read_labels(i)
    labels[rows[0]:rows[1]] = cls
    if Path(data).suffix == ".json":
        ds.write_labels(i, labels, by="script", tool="a script")
    else:
        from PIL import Image

        path = Path(data) / "SegmentationClass" / f"{item}.png"
        im = Image.open(path)
        out = Image.fromarray(labels, mode="P")
        out.putpalette(im.getpalette())
        out.save(path)
    return labels


@pytest.mark.parametrize("kind", ["camvid", "coco"])
def test_a_script_rewrites_the_labels_while_open(served, kind):
    url_a, _, data, item = served[kind]
    a = Client(url_a, verbose=False)
    a.predict(item, api_name="/open_item")
    rewrite(data, item, (0, 12), 2)
    paint(a, (100, 14, 140, 20), 4, data)                       # elsewhere: both land
    now = disk(data, item)
    assert (now[14:21, 100:141] == 4).all() and (now[0:12] == 2).all()
    _, _, status = a.predict(api_name="/apply_edit")
    # The script changes rows the session then paints before it has seen them: a conflict.
    theirs = rewrite(data, item, (30, 40), 7)
    with pytest.raises(Exception, match="Keep mine") as e:
        paint(a, (100, 30, 140, 39), 4, data)
    assert item in str(e.value) and ("another program" in str(e.value) or "script" in str(e.value))
    np.testing.assert_array_equal(disk(data, item), theirs)
    a.predict("theirs", api_name="/resolve_conflict")
    np.testing.assert_array_equal(disk(data, item), theirs)


def test_history_restores_two_saves_ago_and_says_who(served):
    url, _, data, item = served["camvid"]
    c = Client(url, verbose=False)
    c.predict(item, api_name="/open_item")
    states = []
    for k, cls in enumerate((1, 2, 3)):
        paint(c, (20 + 30 * k, 150, 60 + 30 * k, 190), cls, data)
        states.append(disk(data, item))
    _, _, _, title, table = c.predict(api_name="/item_history")
    rows = table["data"]
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)   # newest first
    two_ago = rows[2]
    assert two_ago[2] == "local" and two_ago[3] == "polygon" and two_ago[5] == "saved"
    c.predict(two_ago[0], api_name="/restore_version")
    np.testing.assert_array_equal(disk(data, item), states[0])
    _, _, _, _, table = c.predict(api_name="/item_history")
    assert table["data"][0][3] == f"restore {two_ago[0]}"
    c.predict(api_name="/undo")                                       # one undoable step
    np.testing.assert_array_equal(disk(data, item), states[2])
