"""The canvas script as parts (demo/static/canvas/*.js joined by demo/canvas.py): every file is
a part, joined in the declared order, each registering itself on ``parts``, only protocol.js
triggering events to Python, and the whole parses as the function body gr.HTML runs (Node,
where installed). A second declaration of a name in one part's scope, say, would leave the
canvas dead in the browser with one console line."""

import re
import shutil
import subprocess

import pytest

from demo import canvas


def test_every_file_is_a_part_in_order():
    files = {p.stem for p in canvas.STATIC.glob("*.js")}
    assert files == set(canvas.PARTS)
    assert canvas.PARTS[0] == "state" and canvas.PARTS[-1] == "main"
    js = canvas.script()
    heads = re.findall(r"^// ---- static/canvas/(\w+)\.js$", js, re.M)
    assert heads == list(canvas.PARTS)


def test_each_part_registers_itself_and_only_the_protocol_talks_to_python():
    for name in canvas.PARTS:
        text = (canvas.STATIC / f"{name}.js").read_text()
        if name not in ("state", "main"):
            assert re.search(rf"^parts\.{name} = \(\(\) => {{", text, re.M), name
        assert ("trigger(" in text) == (name == "protocol"), name


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_joined_script_parses(tmp_path):
    body = tmp_path / "canvas.js"
    body.write_text("function onLoad(element, trigger, props, server, upload, watch) {\n" + canvas.JS + "\n}\n")
    done = subprocess.run(["node", "--check", str(body)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_page_keeps_the_same_large_fields_python_leaves_out():
    """demo/canvas.py's BIG_FIELDS and state.js's BIG name the same fields: one Python leaves
    out of an answer and the page does not keep would vanish from the canvas; and LAYERS the
    same pictures: a patch of one the page does not draw would be lost."""
    text = (canvas.STATIC / "state.js").read_text()
    found = re.search(r"^const BIG = \[(.*?)\];", text, re.M)
    assert found, "state.js declares BIG"
    assert tuple(re.findall(r"'(\w+)'", found.group(1))) == canvas.BIG_FIELDS
    found = re.search(r"^const LAYERS = \[(.*?)\];", text, re.M)
    assert found, "state.js declares LAYERS"
    assert tuple(re.findall(r"'(\w+)'", found.group(1))) == canvas.LAYERS
