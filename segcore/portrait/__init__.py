"""Portraits: the person mask, a soft alpha matte along its edge, and new backgrounds."""

from .cutout import AUTO, Cutout, choose_person_model, composite, cut, cutout, person_mask

__all__ = ["Cutout", "person_mask", "choose_person_model", "cut", "composite", "cutout", "AUTO"]
