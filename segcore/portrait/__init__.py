"""Portraits: the person mask, a soft alpha matte along its edge, and new backgrounds."""

from .cutout import Cutout, composite, cut, cutout, person_mask

__all__ = ["Cutout", "person_mask", "cut", "composite", "cutout"]
