"""The API-only endpoints (gradio_client): opening an item by name, the tools with their
coordinates, the rule, the objects of the current item and a polygon object's vertices. Each calls the same handler as the
canvas's request for it (demo/protocol.py); a hidden button per endpoint carries it (Gradio
needs an event), with hidden inputs named as the parameters."""

from __future__ import annotations

import gradio as gr

from . import objects as ho
from . import polygons as hpo
from . import tools as ht
from . import workspace as hw
from .actions import action


def api_endpoints(state, canvas, ws_out) -> None:
    """Make the endpoints (inside the app's Blocks); ``ws_out``: ``[state, canvas, files, status]``."""
    with gr.Column(visible=False):
        item = gr.Textbox(label="item")
        x, y = gr.Number(label="x"), gr.Number(label="y")
        x1, y1 = gr.Number(label="x1"), gr.Number(label="y1")
        mode = gr.Textbox("add", label="mode")
        class_name = gr.Textbox("", label="class_name")
        tolerance = gr.Number(None, label="tolerance")
        overwrite = gr.Textbox("", label="overwrite")
        locked = gr.Checkbox(True, label="locked")
        hidden = gr.Checkbox(True, label="hidden")
        points = gr.JSON(label="points")
        obj_id = gr.Number(None, label="obj_id", precision=0)
        where = gr.Textbox("forward", label="where")
        step = gr.Number(1, label="step", precision=0)
        objects_out = gr.JSON(label="objects")
        index = gr.Number(0, label="index", precision=0)
        part = gr.Number(0, label="part", precision=0)
        dx, dy = gr.Number(0, label="dx"), gr.Number(0, label="dy")
        vertices_out = gr.JSON(label="vertices")
        names = ("open_item", "click_point", "box", "wand", "polygon", "lock_class", "set_overwrite", "set_erase_to",
                 "objects", "select_object", "select_at", "select_next", "new_object", "set_object_class",
                 "delete_object", "reorder_object", "lock_object", "hide_object", "vertices", "set_vertices",
                 "move_vertex", "insert_vertex", "delete_vertex", "move_polygon", "simplify")
        button = {n: gr.Button(n) for n in names}

    def endpoint(name, fn, inputs, views=ws_out, **kw):
        button[name].click(action(**kw)(fn), [state, *inputs, canvas], views, api_name=name)

    endpoint("open_item", hw.open_item, [item])
    endpoint("click_point", ht.click_point, [x, y, mode, class_name, overwrite, obj_id])
    endpoint("box", ht.box, [x, y, x1, y1, class_name, overwrite, obj_id])
    endpoint("wand", ht.wand, [x, y, tolerance, class_name, overwrite, obj_id])
    endpoint("polygon", ht.polygon, [points, class_name, overwrite, obj_id])
    endpoint("lock_class", ht.lock_class, [class_name, locked])
    endpoint("set_overwrite", ht.set_overwrite, [overwrite])
    endpoint("set_erase_to", ht.set_erase_to, [class_name])
    endpoint("objects", ho.list_objects, [], [state, objects_out], outputs=2)
    endpoint("select_object", ho.select_object, [obj_id])
    endpoint("select_at", ho.select_at, [x, y])
    endpoint("select_next", ho.select_next, [step])
    endpoint("new_object", ho.new_object, [])
    endpoint("set_object_class", ho.set_object_class, [obj_id, class_name])
    endpoint("delete_object", ho.delete_object, [obj_id])
    endpoint("reorder_object", ho.reorder_object, [obj_id, where])
    endpoint("lock_object", ho.lock_object, [obj_id, locked])
    endpoint("hide_object", ho.hide_object, [obj_id, hidden])
    endpoint("vertices", hpo.vertices, [obj_id], [state, vertices_out], outputs=2)
    endpoint("set_vertices", hpo.set_vertices, [obj_id, points, overwrite])
    endpoint("move_vertex", hpo.move_vertex, [obj_id, index, x, y, part, overwrite])
    endpoint("insert_vertex", hpo.insert_vertex, [obj_id, index, x, y, part, overwrite])
    endpoint("delete_vertex", hpo.delete_vertex, [obj_id, index, part, overwrite])
    endpoint("move_polygon", hpo.move_polygon, [obj_id, dx, dy, overwrite])
    endpoint("simplify", hpo.simplify, [obj_id, tolerance, overwrite])
