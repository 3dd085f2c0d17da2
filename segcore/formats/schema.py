"""Schemas of COCO and labelme files: a malformed field is one line naming the file and the field.

Checked with pydantic on the parsed JSON; what passes is used as the plain dict it was (so a
file written back keeps every key and value it had). Only the fields segcore reads are
checked, each with the type it must have; other keys are allowed and kept. Polygon
coordinates and RLE counts are checked where they are decoded (:mod:`.coco`), so a large
file is not walked number by number twice.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError, field_validator

from ..errors import FormatError
from ..labels import check_class_name

__all__ = ["validate_coco", "validate_labelme"]



class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class CocoImage(_Model):
    id: StrictInt
    file_name: StrictStr = Field(min_length=1)
    height: StrictInt = Field(gt=0)
    width: StrictInt = Field(gt=0)


def _class_name(v: str) -> str:
    try:
        return check_class_name(v)
    except FormatError as e:
        raise ValueError(str(e)) from None


def _segmentation(v):
    """Polygons (a list of lists) or RLE (``size`` and ``counts``); numbers are checked where
    they are decoded."""
    if isinstance(v, list):
        if not all(isinstance(p, list) for p in v):
            raise ValueError("polygons must be lists of x, y numbers")
        return v
    if isinstance(v, dict):
        size = v.get("size")
        if not (isinstance(size, list) and len(size) == 2 and all(type(n) is int for n in size)):
            raise ValueError("an RLE needs its size, [height, width]")
        counts = v.get("counts")
        if not (isinstance(counts, str) or isinstance(counts, list) and all(type(n) is int for n in counts)):
            raise ValueError("RLE counts must be a string or a list of whole numbers")
        return v
    raise ValueError("segmentation must be polygons (a list) or RLE (size and counts)")


class CocoAnnotation(_Model):
    id: StrictInt
    image_id: StrictInt
    category_id: StrictInt
    segmentation: Any
    iscrowd: Optional[StrictInt] = None

    @field_validator("segmentation")
    @classmethod
    def _seg(cls, v):
        return _segmentation(v)


class CocoCategory(_Model):
    id: StrictInt
    name: StrictStr

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _class_name(v)


class CocoFile(_Model):
    images: list[CocoImage]
    annotations: list[CocoAnnotation]
    categories: list[CocoCategory]


class LabelmeShape(_Model):
    label: StrictStr

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        return _class_name(v)

    points: list[list[StrictFloat]]
    shape_type: Optional[StrictStr] = None
    group_id: Optional[StrictInt] = None
    flags: Optional[dict] = None
    mask: Optional[StrictStr] = None


class LabelmeFile(_Model):
    shapes: list[LabelmeShape]
    imageHeight: StrictInt = Field(gt=0)
    imageWidth: StrictInt = Field(gt=0)
    imagePath: Optional[StrictStr] = None
    imageData: Optional[StrictStr] = None


def _where(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "the top level"


def _check(model, data, name: str, what: str) -> dict:
    try:
        model.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        first = errors[0]
        msg = first["msg"]
        more = len({_where(x["loc"]) for x in errors}) - 1
        tail = f" (and {more} more field{'s' if more > 1 else ''})" if more > 0 else ""
        got = first.get("input")
        shown = "" if isinstance(got, (dict, list)) else f", got {str(got)[:40]!r}"
        raise FormatError(f"{name}: {what} field {_where(first['loc'])}: {msg[:1].lower() + msg[1:]}{shown}{tail}"
                          ) from None
    return data


def validate_coco(data, name: str = "COCO file") -> dict:
    """``data`` (a parsed COCO file) if every field segcore reads has its type, else a one-line
    FormatError such as ``a.json: COCO field images[0].file_name: input should be a valid
    string, got 'True'``."""
    return _check(CocoFile, data, name, "COCO")


def validate_labelme(data, name: str = "labelme file") -> dict:
    """``data`` (a parsed labelme file) if its fields have their types, else one line."""
    return _check(LabelmeFile, data, name, "labelme")
