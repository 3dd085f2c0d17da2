"""Editing label maps: tools propose candidate regions, one apply rule writes them, with undo.

Every tool takes a label map ``(H, W)`` uint8 and returns a new one, so the old one can be
kept for undo.
"""

from .apply import OVERWRITE_RULES, ApplyRule, apply_region, background_index
from .helpers import fill_holes, remove_islands, replace_class
from .history import History
from .interactive import (click_radius, click_seeds, parse_points, refine, scribble_segment,
                          snap_to_superpixels)
from .session import ClickRun, EditSession
from .object_session import ObjectSession
from .strokes import check_strokes, paint_strokes
from .wand import auto_tolerance, magic_wand
from .polygon import polygon_region

__all__ = [
    "fill_holes", "remove_islands",
    "replace_class", "History", "scribble_segment", "snap_to_superpixels", "parse_points",
    "click_seeds", "click_radius", "refine", "EditSession", "ObjectSession", "ClickRun", "paint_strokes",
    "check_strokes", "magic_wand", "auto_tolerance", "ApplyRule", "apply_region", "OVERWRITE_RULES",
    "background_index", "polygon_region",
]
