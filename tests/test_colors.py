"""Class colours a user changes: kept in the dataset's .segcore folder, taken at the next
opening, and written into palette PNGs from then on."""

import numpy as np
import pytest
from PIL import Image

from conftest import scene_dataset
from segcore.dataset import open_dataset
from segcore.dataset.colors import parse_color, set_class_color
from segcore.errors import FormatError


def test_a_colour_is_kept_and_written_into_the_palette(tmp_path):
    folder = scene_dataset(tmp_path / "scenes", n=1)
    ds = open_dataset(folder)
    set_class_color(ds, 1, "#ff8800")
    assert ds.label_set.colors[1] == (255, 136, 0) and ds.label_set.colors[2] == (0, 128, 0)
    again = open_dataset(folder)
    assert again.label_set.colors[1] == (255, 136, 0)
    labels = np.zeros((240, 320), np.uint8)
    labels[:10] = 1
    again.write_labels(0, labels)
    png = Image.open(folder / "SegmentationClass" / "scene0.png")
    assert png.getpalette()[3:6] == [255, 136, 0]


@pytest.mark.parametrize("bad", ["red", "#12345", (1, 2), (0, 0, 256), None])
def test_bad_colours_say_why(bad):
    with pytest.raises(FormatError, match="colour"):
        parse_color(bad)
