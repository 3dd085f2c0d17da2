"""The Ray Data path on a local Ray instance (2 CPUs) writes the same files as the local one."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli

pytest.importorskip("ray")
pytestmark = pytest.mark.slow


def test_ray_output_equals_the_local_output(shared_data, tmp_path, checkpoints, ray_local):
    from segcore import load_model
    from segcore.models.batch import predict_files
    from segcore.models.ray_predict import predict_with_ray

    files = sorted((shared_data / "camvid-20" / "images").glob("*.png"))[:6] + \
        sorted((shared_data / "people-40" / "images").glob("*.jpg"))[:4]
    ckpt = checkpoints("lraspp_mobilenet_v3_large")
    local = tmp_path / "local"
    model = load_model("lraspp_mobilenet_v3_large", weights=ckpt)
    assert all(r.error is None for r in predict_files(model, files, local))
    n, failed = predict_with_ray(files, tmp_path / "ray", model="lraspp_mobilenet_v3_large", weights=ckpt,
                                 num_cpus=2)
    assert n == len(files) and not failed
    for f in files:
        a = np.asarray(Image.open(local / f"{f.stem}.png"))
        b = np.asarray(Image.open(tmp_path / "ray" / f"{f.stem}.png"))
        assert a.shape == b.shape and (a == b).all(), f.name


def test_ray_cli_reports_broken_files(tmp_path, ray_local):
    (tmp_path / "in").mkdir()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "bad.png").write_text("not an image")
    r = run_cli("predict", str(tmp_path / "in"), "--model", "grabcut", "--out", str(tmp_path / "o"), "--ray")
    assert r.returncode == 1, r.stderr
    assert "bad.png" in r.stderr and (tmp_path / "o" / "good.png").is_file()


def test_prelabel_with_ray_writes_back_like_the_local_run(tmp_path, ray_local):
    import shutil

    from segcore import open_dataset

    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        for k in range(3):
            shutil.copy("assets/portrait.jpg" if k % 2 else "assets/scene.jpg", folder / f"p{k}.jpg")
    r = run_cli("prelabel", str(tmp_path / "a"), "--model", "grabcut")
    assert r.returncode == 0, r.stderr
    r = run_cli("prelabel", str(tmp_path / "b"), "--model", "grabcut", "--ray")
    assert r.returncode == 0, r.stderr
    a, b = open_dataset(tmp_path / "a"), open_dataset(tmp_path / "b")
    for i in range(3):
        assert b[i].status == "predicted"
        assert (a.read_labels(i) == b.read_labels(i)).all()
