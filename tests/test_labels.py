import numpy as np
import pytest

from segcore.errors import FormatError
from segcore.labels import LabelSet, voc_colormap


def test_voc_colormap_known_entries():
    cmap = voc_colormap()
    assert tuple(cmap[1]) == (128, 0, 0)
    assert tuple(cmap[15]) == (192, 128, 128)  # person
    assert tuple(cmap[255]) == (224, 224, 192)  # void


def test_voc_set():
    voc = LabelSet.voc()
    assert len(voc) == 21 and voc.names[15] == "person" and voc.void_index == 255
    assert voc.index_of("_background_") == 0 and voc.index_of("__ignore__") == 255
    assert voc.palette()[255 * 3: 255 * 3 + 3] == [224, 224, 192]
    with pytest.raises(FormatError, match="unknown class name"):
        voc.index_of("unicorn")


def test_labels_file_like_labelme(tmp_path):
    p = tmp_path / "labels.txt"
    p.write_text("__ignore__\n_background_\ncat\n\ndog\n")
    ls = LabelSet.from_file(p)
    assert ls.names == ("background", "cat", "dog")
    assert ls.colors[1] == (128, 0, 0)


def test_labels_file_errors(tmp_path):
    with pytest.raises(FormatError, match="cannot read"):
        LabelSet.from_file(tmp_path / "missing.txt")
    (tmp_path / "dup.txt").write_text("a\nb\na\n")
    with pytest.raises(FormatError, match="repeated: a"):
        LabelSet.from_file(tmp_path / "dup.txt")


def test_shared_labelme_labels(shared_data):
    ls = LabelSet.from_file(shared_data / "labelme-voc" / "labels.txt")
    assert len(ls) == 21 and ls.names[0] == "background" and ls.names[15] == "person"
    assert "potted plant" in ls.names  # the file's own spelling is kept


def test_lut_maps_void():
    lut = LabelSet.voc().lut()
    labels = np.array([[0, 15, 255]], np.uint8)
    assert lut[labels].tolist() == [[[0, 0, 0], [192, 128, 128], [224, 224, 192]]]


def test_class_names_are_one_line_unique_and_at_most_254():
    import pytest

    from segcore.errors import FormatError
    from segcore.labels import LabelSet

    for bad in ("a\nb", "tab\there", "nul\x00", "line\u2028sep", "", "   "):
        with pytest.raises(FormatError):
            LabelSet(("background", bad))
    with pytest.raises(FormatError, match="unique"):
        LabelSet(("background", "cat", "cat"))
    assert len(LabelSet(tuple(f"c{k}" for k in range(254)))) == 254
    with pytest.raises(FormatError, match="at most 254"):
        LabelSet(tuple(f"c{k}" for k in range(255)))


def test_add_class_refuses_a_name_with_a_line_break_and_writes_nothing(tmp_path):
    import numpy as np
    import pytest
    from PIL import Image

    from segcore import open_dataset
    from segcore.dataset import Workspace
    from segcore.errors import FormatError

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "labels.txt").write_text("background\ncat\n")
    ws = Workspace(open_dataset(tmp_path))
    with pytest.raises(FormatError, match="line break"):
        ws.add_class("traffic\ncone")
    assert (tmp_path / "labels.txt").read_text() == "background\ncat\n"
    assert ws.add_class("traffic cone") == 2
    assert open_dataset(tmp_path).label_set.names == ("background", "cat", "traffic cone")
