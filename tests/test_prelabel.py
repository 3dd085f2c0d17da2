"""Pre-labelling: fills what has no labels, never touches edits, continues after a stop."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from segcore import open_dataset
from segcore.dataset.prelabel import class_mapping
from segcore.labels import LabelSet

from conftest import ROOT, run_cli, textured_image


def photo_folder(tmp_path, n=4):
    folder = tmp_path / "photos"
    folder.mkdir()
    for k in range(n):
        Image.fromarray(textured_image(90, 120, seed=k)).save(folder / f"p{k}.jpg")
    return folder


def test_prelabel_twice_keeps_the_edited_item(tmp_path):
    folder = photo_folder(tmp_path)
    r = run_cli("prelabel", str(folder), "--model", "grabcut")
    assert r.returncode == 0, r.stderr
    assert "predicted 4 of 4" in r.stdout
    ds = open_dataset(folder)
    assert ds.label_set.names == ("background", "foreground")   # taken from the model
    assert [it.status for it in ds] == ["predicted"] * 4
    mine = np.zeros((90, 120), np.uint8)
    mine[10:20, 10:20] = 1
    ds.write_labels(1, mine)
    (folder / "SegmentationClass" / "p2.png").unlink()      # as if never predicted
    r = run_cli("prelabel", str(folder), "--model", "grabcut", "--overwrite", "predicted")
    assert r.returncode == 0, r.stderr
    again = open_dataset(folder)
    np.testing.assert_array_equal(again.read_labels(1), mine)
    assert again[1].status == "edited"
    assert all(again.read_labels(i) is not None for i in range(4))
    assert "predicted 3 of 4" in r.stdout


def test_prelabel_maps_classes_by_name(tmp_path):
    lut, missing = class_mapping(LabelSet(("background", "cat", "person")),
                                 LabelSet(("background", "person", "car")))
    assert lut[0] == 0 and lut[2] == 1 and lut[1] == 255 and missing == ["cat"]


def test_interrupted_prelabel_leaves_whole_files_and_continues(tmp_path):
    folder = photo_folder(tmp_path, n=12)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    p = subprocess.Popen([sys.executable, "-m", "segcore", "prelabel", str(folder), "--model", "grabcut"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seg = folder / "SegmentationClass"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(seg.glob("*.png"))) < 3:
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not [f for f in seg.iterdir() if f.name.endswith(".tmp")]
    for f in seg.glob("*.png"):
        with Image.open(f) as im:
            im.load()                     # every label file there is whole
    done = len(list(seg.glob("*.png")))
    assert done < 12
    r = run_cli("prelabel", str(folder), "--model", "grabcut")
    assert r.returncode == 0, r.stderr
    assert f"predicted {12 - done} of 12" in r.stdout
    assert [it.status for it in open_dataset(folder)] == ["predicted"] * 12


def test_segcore_console_script_works_from_any_folder(tmp_path):
    exe = shutil.which("segcore", path=os.path.dirname(sys.executable))
    assert exe, "the segcore console script is not installed beside this python"
    r = subprocess.run([exe, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "prelabel" in r.stdout
    r = subprocess.run([sys.executable, "-m", "segcore", "models"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and "grabcut" in r.stdout
