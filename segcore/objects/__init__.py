"""Objects: an item of an instance dataset (COCO, labelme, VOC with ``SegmentationObject``) is a
list of objects, each with a stable id, a class, a mask (box + crop), the file's own fields; the
class map the canvas and the semantic exports show is drawn from them by one rule
(:mod:`.objects`)."""

from .from_map import apply_class_map, changed_box, objects_from_class_map
from .mask import Box, ObjMask, box_of, union_box
from .obj import IdSource, Obj
from .objects import Objects
from .polygon import Polygon, parse_parts
from .simplify import Simplified, mask_to_polygon, staircase_vertices
from .rows import ObjectRow, object_rows

__all__ = ["ObjMask", "Box", "box_of", "union_box", "Obj", "IdSource", "Objects", "apply_class_map",
           "objects_from_class_map", "changed_box", "ObjectRow", "object_rows",
           "Polygon", "parse_parts", "Simplified", "mask_to_polygon", "staircase_vertices"]
