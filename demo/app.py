"""Layout and wiring of the app: one workspace screen (file list, canvas with tools and
classes, the buttons to move and correct), then panels acting on the current image.
Handlers are plain functions of the session (demo/actions.py makes them events) in
workspace.py, tools.py, uploads.py, helpers.py, models.py, prompters.py, weights.py, export.py,
portrait.py and train.py; the canvas's requests reach the same ones through protocol.py; algorithms live
in segcore."""

from __future__ import annotations

import gradio as gr

from segcore.dataset.revisions import set_budget_mb

from . import concepts as hc
from . import export as hx
from . import helpers as hh
from . import models as hm
from . import portrait as hp
from . import prompters as hpr
from . import protocol
from . import team
from . import train as ht
from . import uploads as hu
from . import weights as hwt
from . import workspace as hw
from .actions import N_OUT, action
from .api import api_endpoints
from .auth import protect
from .canvas import TOOLS, make_canvas
from .session import Seed, cleanup, page_closed, serve, serve_pictures
from .views import md_escape

KEYS = ("**Keys**: A / D prev / next · Enter apply · Ctrl+Z / Y undo, redo · R reviewed · 0-9 class · "
        f"{' '.join(key for *_, key in TOOLS)} tools · [ ] size · wheel + - zoom · F fit · Shift+1 1:1 · Space+drag pan")

FILES_JS = """
element.addEventListener('click', (e) => {
  const row = e.target.closest('.sc-file');
  if (row) trigger('select', {index: +row.dataset.i, value: row.textContent});
});
watch('value', () => { const c = element.querySelector('.sc-cur'); if (c) c.scrollIntoView({block: 'nearest'}); });
"""
FILES_CSS = """
.sc-count { font-size: 12px; opacity: .8; margin-bottom: 2px; }
.sc-files { max-height: 300px; overflow-y: auto; font-size: 13px; border: 1px solid rgba(128,128,128,.3); border-radius: 6px; }
.sc-file { padding: 2px 6px; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.sc-file:hover { background: rgba(37, 99, 235, .12); }
.sc-cur { background: rgba(37, 99, 235, .25); font-weight: 600; }
.sc-more { font-size: 11px; opacity: .7; padding: 2px 6px; }
.sc-file[data-here]::after { content: " • " attr(data-here); color: #b45309; font-size: 11px; font-weight: 400; }
"""
CSS = """
.gradio-container { padding-top: 4px !important; }
#title { margin: 0 !important; }
#title p { margin: 0 !important; }
#actions button { min-width: 0 !important; padding: 4px 8px !important; font-size: 13px !important; }
#status p, #keys p { margin: 0 !important; font-size: 13px; }
#title-row { align-items: center; gap: 6px !important; flex-wrap: nowrap; }
#title { flex: 1 1 auto !important; min-width: 0 !important; }
#prompter-label { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important; }
#prompter { flex: 0 0 290px !important; }
#prompter-label p { margin: 0 !important; font-size: 13px; white-space: nowrap; }
#prompter input { padding-top: 2px !important; padding-bottom: 2px !important; font-size: 13px; }
#keys p { font-size: 12px; opacity: .8; }
"""


def build_demo(data=None, users=None, history_mb: float | None = None) -> gr.Blocks:
    """The app; ``data``: a dataset to serve (VOC root, COCO file, labelme or image folder),
    else every session works on the images it uploads; ``users``: accounts
    (:class:`segcore.accounts.Users`: a login page, every route refused without one);
    ``history_mb``: the served dataset's history budget (kept with the dataset)."""
    served = serve(data, users)
    if history_mb is not None and served.dataset is not None:
        set_budget_mb(served.dataset.root, history_mb)
    uploads = served.dataset is None
    with gr.Blocks(title="segcore: correct segmentation masks") as demo:
        state = gr.State(Seed(served), delete_callback=cleanup)
        key = gr.BrowserState("", storage_key="segcore-uploads")
        model_mem = gr.BrowserState("", storage_key="segcore-model")   # the model menu, across reloads
        prompter_mem = gr.BrowserState("", storage_key="segcore-prompter")   # and the prompter menu
        where = f"dataset **{md_escape(served.dataset.root.name)}** ({served.dataset.kind})" if not uploads else "your images"
        with gr.Row(elem_id="title-row"):   # the title, and right above the canvas the prompter of its tools
            gr.Markdown(f"**segcore** · correcting {where}: pick a class, click or paint on the image; "
                        "every change is saved.", elem_id="title", scale=1)
            gr.Markdown("Clicks and boxes with", elem_id="prompter-label", scale=0, min_width=0)
            prompter_dd = gr.Dropdown(hpr.choices(), value=hpr.DEFAULT, label="Clicks and boxes with", show_label=False,
                                      container=False, elem_id="prompter", scale=0, min_width=300)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=230):
                add_files = gr.File(file_count="multiple", file_types=["image"], label="Add images", height=80,
                                    elem_id="add-images", visible=uploads)
                only_open = gr.Checkbox(label="Only not reviewed", elem_id="filter", container=False)
                files = gr.HTML("", js_on_load=FILES_JS, css_template=FILES_CSS, elem_id="files", apply_default_css=False)
                with gr.Row(elem_id="add-class-row"):
                    class_name = gr.Textbox(show_label=False, placeholder="new class, e.g. car", elem_id="class-name",
                                            scale=3, min_width=80, container=False)
                    class_btn = gr.Button("Add class", elem_id="add-class-btn", scale=1, min_width=60, size="sm")
                first_model = hm.default_model(served.dataset)
                model_dd = gr.Dropdown(hm.model_choices(served.dataset), value=first_model, label="Model", elem_id="model",
                                       allow_custom_value=True)   # the dataset's models join it as they are trained
                with gr.Row():
                    segment_btn = gr.Button("Segment", variant="primary", elem_id="segment-btn", size="sm")
                    prelabel_btn = gr.Button("Pre-label all", elem_id="prelabel-btn", size="sm")
                replace_cb = gr.Checkbox(False, label="Segment replaces all labels", elem_id="replace", container=False)
                # SAM 3: every instance of the selected class, found by its name
                find_btn = gr.Button("Find all of the selected class", elem_id="find-all-btn", size="sm")
                find_threshold = gr.Slider(0, 1, 0.5, step=0.05, label="Find all: score above",
                                           elem_id="find-threshold")
                with gr.Accordion("Model details and weights", open=False):
                    card = gr.Markdown(hm.model_card(first_model))
                    prompter_card = gr.Markdown(hpr.card(), elem_id="prompter-card")
                    weights = gr.File(label="Weights file (.pth, .tflite), optional",
                                      file_types=[".pth", ".pt", ".tflite"], elem_id="weights")
            with gr.Column(scale=5):
                with gr.Group(visible=False, elem_id="first-screen") as first_screen:
                    gr.Markdown("**This dataset has no classes yet.** Type its classes, separated by commas "
                                "(they follow `background`), or pick a model on the left and press Segment to take "
                                "the model's classes.")
                    with gr.Row():
                        first_classes = gr.Textbox(show_label=False, placeholder="e.g. road, car, person, tree",
                                                   elem_id="first-classes", scale=4, container=False)
                        first_btn = gr.Button("Start labelling", variant="primary", elem_id="first-btn", scale=1)
                conflict = team.conflict_bar()       # shown while the open item has a conflict
                canvas = make_canvas()
                with gr.Row(elem_id="actions"):
                    prev_btn = gr.Button("◀ Previous (A)", elem_id="prev-btn", size="sm", min_width=60)
                    next_btn = gr.Button("Next (D) ▶", elem_id="next-btn", size="sm", min_width=60)
                    open_btn = gr.Button("Next not reviewed", elem_id="next-open-btn", size="sm", min_width=60)
                    apply_btn = gr.Button("Apply (Enter)", variant="primary", elem_id="apply-btn", size="sm", min_width=60)
                    undo_btn = gr.Button("Undo", elem_id="undo-btn", size="sm", min_width=60)
                    redo_btn = gr.Button("Redo", elem_id="redo-btn", size="sm", min_width=60)
                    reviewed_btn = gr.Button("✔ Reviewed (R)", elem_id="reviewed-btn", size="sm", min_width=60)
                status = gr.Markdown(elem_id="status")
                status_timer = gr.Timer(0.5, active=False)   # refreshes it while an item is encoded
                gr.Markdown(KEYS, elem_id="keys")
        with gr.Tabs():
            with gr.Tab("Classes", id="classes"):
                with gr.Row():
                    helper_dd = gr.Dropdown(hh.HELPERS, value=hh.HELPERS[0][1], label="On the selected class",
                                            elem_id="helper", scale=3)
                    min_size = gr.Number(100, label="pixels", precision=0, scale=1)
                    target = gr.Textbox(label="other class (name or number)", scale=2)
                    helper_btn = gr.Button("Run", elem_id="helper-btn", scale=1)
                with gr.Row():
                    prompt_text = gr.Textbox(label="Find all finds the selected class by (empty: its name)",
                                             placeholder="e.g. sidewalk for pavement", elem_id="class-prompt", scale=4)
                    prompt_btn = gr.Button("Set", elem_id="class-prompt-btn", scale=1)
                prompts_info = gr.Markdown(hc.prompts_md(served.dataset), elem_id="class-prompts")
            history = team.history_tab()           # the open item's versions (demo/team.py)
            with gr.Tab("Export", id="export"):
                fmt = gr.Radio(hx.EXPORT_FORMATS, value="coco_json", label="Format", elem_id="export-format")
                export_btn = gr.Button("Export", variant="primary", elem_id="export-btn")
                file_out = gr.File(label="Download", elem_id="export-file")
            with gr.Tab("Portrait", id="portrait"):
                with gr.Row():
                    with gr.Column():
                        source = gr.Dropdown(hp.person_sources(), value=hp.AUTO, label="Person from",
                                             elem_id="person-source")
                        person_weights = gr.File(label="Weights file (.pth, .tflite), optional",
                                                 file_types=[".pth", ".pt", ".tflite"], elem_id="person-weights")
                        background = gr.Radio(hp.BACKGROUNDS, value="transparent", label="Background")
                        colour = gr.ColorPicker("#ffffff", label="Colour")
                        background_file = gr.File(label="Background image", file_types=["image"])
                        matting = gr.Radio(["guided", "closed_form"], value="guided", label="Edge matting")
                        cutout_btn = gr.Button("Cut out", variant="primary", elem_id="cutout-btn")
                    with gr.Column():
                        cutout_out = gr.Image(label="Result", format="png", interactive=False, elem_id="cutout")
                        cutout_file = gr.File(label="Download PNG")
            with gr.Tab("Evaluate", id="evaluate"):
                gt_file = gr.File(label="Ground-truth mask (palette or index PNG); empty: the model's prediction "
                                        "against the corrected mask", file_types=[".png"], elem_id="gt-file")
                eval_btn = gr.Button("Evaluate", variant="primary", elem_id="eval-btn")
                summary = gr.Markdown()
                table = gr.Dataframe(headers=["class", "IoU", "Dice", "precision", "recall", "support"],
                                     interactive=False)
                confusion = gr.Image(label="Confusion matrix", interactive=False, format="png")
            with gr.Tab("Train", id="train") as train_tab:   # handlers: demo/train.py
                with gr.Row():
                    with gr.Column():
                        train_arch = gr.Dropdown(ht.architectures(), value=ht.DEFAULT_MODEL, label="Architecture",
                                                 elem_id="train-arch")
                        with gr.Row():
                            train_minutes = gr.Number(10, label="Minutes", minimum=0, elem_id="train-minutes")
                            train_epochs = gr.Number(0, label="or epochs (0: by time)", precision=0, minimum=0,
                                                     elem_id="train-epochs")
                        train_include = gr.CheckboxGroup(list(ht.INCLUDE), value=["reviewed", "edited"],
                                                         label="Train on the items", elem_id="train-include")
                        held_out = gr.Slider(0, 0.5, 0.1, step=0.05, label="Held out for validation", elem_id="held-out")
                        with gr.Row():
                            train_btn = gr.Button("Train", variant="primary", elem_id="train-btn")
                            stop_btn = gr.Button("Stop (keeps the best)", elem_id="stop-train-btn")
                    with gr.Column():
                        train_md = gr.Markdown("No training yet.", elem_id="train-status")
                        train_plot = gr.Image(label="Loss and validation mIoU", interactive=False, format="png",
                                              height=170, elem_id="train-plot")
                        trained_dd = gr.Dropdown(ht.trained_choices(served.dataset), label="This dataset's models",
                                                 allow_custom_value=True, elem_id="trained-model")
                        prelabel_own_btn = gr.Button("Pre-label with this model (unlabelled and predicted items)",
                                                     elem_id="prelabel-own-btn")
                    with gr.Column():
                        review_order = gr.Radio(list(ht.ORDERS), value=ht.ORDERS[0], label="Review order",
                                                elem_id="review-order")
                        below = gr.Slider(0.1, 0.95, 0.5, step=0.05, label="Uncertain: winning class below")
                        uncertain_cb = gr.Checkbox(False, label="Uncertain pixels on the canvas (magenta)",
                                                   elem_id="uncertain-on-canvas")
                        uncertain_btn = gr.Button("Show uncertain pixels", elem_id="uncertain-btn")
                        uncertain_img = gr.Image(label="Uncertain pixels (magenta)", interactive=False, format="png",
                                                 height=200, elem_id="uncertain")
                train_timer = gr.Timer(2.0, active=False)
                train_json = gr.Textbox(visible=False, label="status")
                train_status_btn = gr.Button("train_status", visible=False)
        # Inputs of buttons' endpoints that the browser leaves as they are (Segment, Pre-label, Apply,
        # Find all: its class is the one selected on the canvas, "" here).
        with gr.Column(visible=False):
            api_image = gr.Image(type="filepath", label="image")
            api_scope = gr.Radio(list(hm.SCOPES), value="all unlabelled", label="scope")
            api_obj = gr.Number(None, label="obj_id", precision=0)   # /apply_edit's object
            api_class = gr.Textbox("", label="class_name")           # /find_all's, /set_class_prompt's
            api_choice = gr.Textbox("mine", label="choice")          # /resolve_conflict's (demo/team.py)

        ws_out = [state, canvas, files, status]
        both = [state, canvas]
        team.wire(state, canvas, files, status, conflict, history, api_choice)   # conflicts, history, presence
        def closed(request: gr.Request):      # a page closed or reloaded: out of the presence at once
            page_closed(served, request)

        demo.unload(closed)
        demo.load(hu.load, [state, key], [*ws_out, key], api_visibility="private").then(
            hw.first_screen, state, first_screen, api_visibility="private").then(
            hpr.recall, prompter_mem, prompter_dd, api_visibility="private")   # after the session exists
        model_dd.change(hm.model_card, [model_dd, state], card, api_name="model_card")
        model_dd.input(lambda m: m, model_dd, model_mem, api_visibility="private")
        weights.upload(hwt.upload, [state, weights, model_dd], [card, prompter_card], api_visibility="private")
        demo.load(lambda m: hm.recall_model(m, served.dataset), model_mem, model_dd, api_visibility="private")
        prompter_dd.change(action()(hpr.set_prompter), [state, prompter_dd, canvas], ws_out, api_name="set_prompter")
        prompter_dd.input(lambda p: p, prompter_dd, prompter_mem, api_visibility="private")
        status.change(hpr.watch, state, status_timer, api_visibility="private", show_progress="hidden")
        status_timer.tick(hpr.tick, state, [status, status_timer], api_visibility="private", show_progress="hidden")
        # The canvas's requests (tools, keys, the buttons below it), one at a time from the page's
        # queue, each answered with its number (demo/protocol.py); the buttons' events are the API's.
        canvas.select(protocol.on_canvas, both, ws_out, api_visibility="private", trigger_mode="multiple",
                      show_progress="hidden")
        files.select(action()(hw.select_file), both, ws_out, api_visibility="private")
        only_open.change(action()(hw.set_filter), [state, only_open, canvas], ws_out, api_visibility="private")
        add_files.upload(hu.add_images, [state, add_files, canvas], [*ws_out, add_files], api_name="add_images")
        prev_btn.click(action()(hw.prev_item), both, ws_out, api_name="prev_item")
        next_btn.click(action()(hw.next_item), both, ws_out, api_name="next_item")
        open_btn.click(action()(hw.next_open), both, ws_out, api_name="next_not_reviewed")
        apply_btn.click(action()(hw.apply_edit), [*both, api_obj], ws_out, api_name="apply_edit")
        undo_btn.click(action(apply_pending=False)(hw.undo), both, ws_out, api_name="undo")
        redo_btn.click(action(apply_pending=False)(hw.redo), both, ws_out, api_name="redo")
        reviewed_btn.click(action()(hw.mark_reviewed), both, ws_out, api_name="mark_reviewed")
        add_class = action(outputs=N_OUT + 1)(hw.add_class)
        class_btn.click(add_class, [state, class_name, canvas], [*ws_out, class_name], api_name="add_class").then(
            hw.first_screen, state, first_screen, api_visibility="private")
        class_name.submit(add_class, [state, class_name, canvas], [*ws_out, class_name], api_visibility="private").then(
            hw.first_screen, state, first_screen, api_visibility="private")
        for ev in (first_btn.click, first_classes.submit):
            ev(action(outputs=N_OUT + 1)(hw.add_classes), [state, first_classes, canvas], [*ws_out, first_classes],
               api_visibility="private").then(
                hw.first_screen, state, first_screen, api_visibility="private")
        helper_btn.click(hh.helper, [state, helper_dd, min_size, target, canvas], ws_out, api_name="helper")
        segment_btn.click(hm.segment, [state, api_image, model_dd, weights, replace_cb, canvas], ws_out,
                          api_name="segment").then(hw.first_screen, state, first_screen, api_visibility="private")
        prelabel_btn.click(hm.prelabel, [state, model_dd, weights, api_scope, canvas, find_threshold], ws_out,
                           api_name="prelabel")
        find_btn.click(action()(hc.find_all), [state, api_class, find_threshold, canvas], ws_out, api_name="find_all")
        set_prompt = action(outputs=N_OUT + 1)(hc.set_class_prompt)
        prompt_btn.click(set_prompt, [state, api_class, prompt_text, canvas], [*ws_out, prompts_info],
                         api_name="set_class_prompt")
        prompt_text.submit(set_prompt, [state, api_class, prompt_text, canvas], [*ws_out, prompts_info],
                           api_visibility="private")
        api_endpoints(state, canvas, ws_out)    # the API's own: open_item, the tools, the objects (demo/api.py)
        export_btn.click(hx.export, [state, fmt, canvas], file_out, api_name="export")
        eval_btn.click(hx.evaluate, [state, gt_file, canvas], [summary, table, confusion], api_name="evaluate")
        cutout_btn.click(hp.cutout, [state, source, person_weights, background, colour, background_file, matting, canvas],
                         [cutout_out, cutout_file], api_name="cutout")
        train_btn.click(ht.train, [state, train_arch, train_minutes, train_include, train_epochs, held_out, canvas],
                        [state, train_json, train_md], api_name="train").then(
            ht.follow, state, train_timer, api_visibility="private")
        stop_btn.click(ht.stop, [state, canvas], [state, train_json, train_md], api_name="stop_training")
        train_status_btn.click(ht.train_status, state, train_json, api_name="train_status")
        train_timer.tick(ht.poll, [state, model_dd, trained_dd], [train_md, train_plot, model_dd, trained_dd, train_timer],
                         api_visibility="private")
        train_tab.select(ht.follow, state, train_timer, api_visibility="private")
        prelabel_own_btn.click(ht.prelabel_with, [state, trained_dd, canvas], ws_out, api_visibility="private")
        review_order.change(ht.review_order, [state, review_order, canvas], ws_out, api_name="review_order")
        uncertain_btn.click(ht.uncertain, [state, below, canvas], [state, uncertain_img], api_name="uncertain")
        uncertain_cb.change(ht.show_uncertain, [state, uncertain_cb, below, canvas], ws_out, api_name="show_uncertain")
        below.release(ht.show_uncertain, [state, uncertain_cb, below, canvas], ws_out, api_visibility="private")
    demo.css = CSS + team.CSS
    demo = serve_pictures(demo)
    return protect(demo, users) if users is not None else demo


if __name__ == "__main__":
    build_demo().launch(server_name="127.0.0.1", css=CSS)
