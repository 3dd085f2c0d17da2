"""Layout and wiring of the app. Handlers live in ``handlers.py``; algorithms in segcore."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from . import handlers as h
from . import portrait as hp

ASSETS = Path(__file__).resolve().parents[1] / "assets"


class PhotoInput(gr.Image):
    """An image upload that passes the file's path on undecoded: segcore's loader reads it
    (EXIF, odd modes, size limit) and turns a broken file into a one-line message, where
    gr.Image's own PIL decoding would fail before any handler runs."""

    def preprocess(self, payload):
        return None if payload is None else payload.path

    def get_block_name(self) -> str:
        return "image"  # draw it with gr.Image's own front-end


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="segcore: segment and correct masks") as demo:
        state = gr.State(None, delete_callback=h.cleanup)
        portrait_state = gr.State(None, delete_callback=hp.cleanup_folder)
        gr.Markdown("## segcore: segment a photo, correct the mask, export it\n"
                    "Upload a photo, pick a model and press **Segment**; fix the mask in **Correct**; "
                    "download it in **Export**; measure it in **Evaluate**.")
        with gr.Tabs():
            with gr.Tab("Segment", id="segment"):
                with gr.Row():
                    with gr.Column(scale=1):
                        image_in = PhotoInput(type="filepath", sources=["upload", "clipboard"], label="Photo",
                                            elem_id="photo", height=360)
                        gr.Examples([[str(ASSETS / "portrait.jpg")], [str(ASSETS / "scene.jpg")]],
                                    inputs=[image_in], label="Examples")
                        model_dd = gr.Dropdown(h.model_choices(), value="grabcut", label="Model", elem_id="model")
                        card = gr.Markdown(h.model_card("grabcut"))
                        weights = gr.File(label="Weights file (.pth, .tflite), optional", file_types=[".pth", ".pt", ".tflite"],
                                          elem_id="weights")
                        run_btn = gr.Button("Segment", variant="primary", elem_id="segment-btn")
                    with gr.Column(scale=1):
                        overlay_out = gr.Image(label="Overlay", elem_id="overlay", interactive=False, height=420, format="png")
                        opacity = gr.Slider(0, 1, value=0.5, step=0.05, label="Overlay opacity")
                        legend = gr.HTML(label="Legend")
                        shares = gr.Dataframe(headers=["class", "share %"], interactive=False, label="Classes found")
                status = gr.Markdown(elem_id="status")
            with gr.Tab("Correct", id="correct"):
                palette = gr.HTML()
                editor = gr.ImageEditor(type="numpy", format="png", label="Paint classes, erase mistakes",
                                        elem_id="editor", sources=(), transforms=(), height=560)
                with gr.Row():
                    erase_to = gr.Radio(["background", "void"], value="background", label="The eraser sets")
                    apply_btn = gr.Button("Apply edits", variant="primary", elem_id="apply-btn")
                    undo_btn = gr.Button("Undo", elem_id="undo-btn")
                    redo_btn = gr.Button("Redo", elem_id="redo-btn")
                with gr.Accordion("Helpers", open=False):
                    with gr.Row():
                        class_a = gr.Dropdown([], label="Class", allow_custom_value=True)
                        fill_btn = gr.Button("Fill holes in class")
                    with gr.Row():
                        min_size = gr.Number(100, label="Remove islands smaller than (pixels)", precision=0)
                        islands_btn = gr.Button("Remove islands")
                    with gr.Row():
                        class_b = gr.Dropdown([], label="Change class (above) to", allow_custom_value=True)
                        replace_btn = gr.Button("Change class")
                    with gr.Row():
                        points = gr.Textbox(label="Clicks on the photo: x,y,1 to add to the class (above), "
                                                  "x,y,0 to remove; separate with ;", placeholder="320,300,1; 40,40,0")
                        click_btn = gr.Button("Segment class by clicks")
                    with gr.Row():
                        scribble_btn = gr.Button("Use my strokes as GrabCut seeds for the class (above)")
                        snap_btn = gr.Button("Snap my strokes to superpixels")
                    with gr.Row():
                        x0 = gr.Number(0, label="box x0", precision=0)
                        y0 = gr.Number(0, label="box y0", precision=0)
                        x1 = gr.Number(100, label="box x1", precision=0)
                        y1 = gr.Number(100, label="box y1", precision=0)
                        grabcut_btn = gr.Button("GrabCut class (above) in box")
            with gr.Tab("Portrait", id="portrait"):
                with gr.Row():
                    with gr.Column():
                        portrait_in = PhotoInput(type="filepath", sources=["upload", "clipboard"], label="Portrait",
                                                 elem_id="portrait-photo", height=360)
                        gr.Examples([[str(ASSETS / "portrait.jpg")]], inputs=[portrait_in], label="Example")
                        person_model = gr.Dropdown(hp.person_models(), value="auto", label="Person from")
                        person_weights = gr.File(label="Weights file (.pth, .tflite), optional", file_types=[".pth", ".pt", ".tflite"],
                                          elem_id="person-weights")
                        person_box = gr.Textbox(label="Box around the person x0,y0,x1,y1 (optional)")
                        person_points = gr.Textbox(label="Clicks x,y,1 (person) / x,y,0 (background), ; between")
                        background = gr.Radio(hp.BACKGROUNDS, value="transparent", label="Background")
                        colour = gr.ColorPicker("#ffffff", label="Colour")
                        background_file = gr.File(label="Background image", file_types=["image"])
                        matting = gr.Radio(["guided", "closed_form"], value="guided", label="Edge matting")
                        cutout_btn = gr.Button("Cut out", variant="primary", elem_id="cutout-btn")
                    with gr.Column():
                        cutout_out = gr.Image(label="Result", format="png", interactive=False, elem_id="cutout")
                        cutout_file = gr.File(label="Download PNG")
            with gr.Tab("Export", id="export"):
                fmt = gr.Radio(h.EXPORT_FORMATS, value="COCO JSON", label="Format", elem_id="export-format")
                export_btn = gr.Button("Export", variant="primary", elem_id="export-btn")
                file_out = gr.File(label="Download", elem_id="export-file")
                gr.Markdown("**Import** an existing mask for this image to correct it:")
                import_file = gr.File(label="VOC PNG, COCO JSON or labelme JSON",
                                      file_types=[".png", ".json"])
                import_btn = gr.Button("Import")
            with gr.Tab("Evaluate", id="evaluate"):
                gt_file = gr.File(label="Ground-truth mask (palette or index PNG); empty: judge the model's "
                                        "prediction against the corrected mask", file_types=[".png"], elem_id="gt-file")
                eval_btn = gr.Button("Evaluate", variant="primary", elem_id="eval-btn")
                summary = gr.Markdown()
                table = gr.Dataframe(headers=["class", "IoU", "Dice", "precision", "recall", "support"],
                                     interactive=False)
                confusion = gr.Image(label="Confusion matrix", interactive=False, format="png")

        views = [overlay_out, legend, shares, editor, palette, class_a, class_b, status]
        changed = [state, *views]
        model_dd.change(h.model_card, model_dd, card, api_name="model_card")
        run_btn.click(h.segment, [image_in, model_dd, weights, opacity], changed, api_name="segment")
        opacity.release(h.rerender, [state, opacity], overlay_out, api_name="render")
        apply_btn.click(h.apply_edit, [editor, erase_to, state, opacity], changed, api_name="apply_edit")
        undo_btn.click(h.undo, [state, opacity], changed, api_name="undo")
        redo_btn.click(h.redo, [state, opacity], changed, api_name="redo")
        fill_btn.click(h.fill_holes, [state, class_a, opacity], changed, api_name="fill_holes")
        islands_btn.click(h.remove_islands, [state, min_size, opacity], changed, api_name="remove_islands")
        replace_btn.click(h.replace_class, [state, class_a, class_b, opacity], changed, api_name="replace_class")
        grabcut_btn.click(h.grabcut_box, [state, x0, y0, x1, y1, class_a, opacity], changed, api_name="grabcut_box")
        click_btn.click(h.click_segment, [state, points, class_a, opacity], changed, api_name="click_segment")
        scribble_btn.click(h.scribble, [editor, state, class_a, opacity], changed, api_name="scribble")
        snap_btn.click(h.snap_strokes, [editor, state, opacity], changed, api_name="snap_strokes")
        cutout_btn.click(hp.cutout, [portrait_state, portrait_in, person_model, person_weights, person_box, person_points,
                                    background, colour, background_file, matting], [cutout_out, cutout_file, portrait_state],
                         api_name="cutout")
        export_btn.click(h.export, [state, fmt], file_out, api_name="export")
        import_btn.click(h.import_labels, [import_file, state, opacity], changed, api_name="import_labels")
        eval_btn.click(h.evaluate, [gt_file, state], [summary, table, confusion], api_name="evaluate")
    return demo


if __name__ == "__main__":
    build_demo().launch(server_name="127.0.0.1")
