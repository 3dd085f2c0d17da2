"""Editing one image of an instance dataset: every tool acts on one object (SKELETON)."""

from __future__ import annotations

from .session import EditSession

__all__ = ["ObjectSession"]


class ObjectSession(EditSession):
    """See /work/briefs/objects-api.md, section 3 (being built)."""

    has_objects = True

    def select(self, obj_id): raise NotImplementedError
    def select_at(self, x, y): raise NotImplementedError
    def new_object(self): raise NotImplementedError
    def set_class(self, obj_id, cls): raise NotImplementedError
    def delete(self, obj_id): raise NotImplementedError
    def reorder(self, obj_id, where): raise NotImplementedError
    def set_hidden(self, obj_id, hidden=True): raise NotImplementedError
    def set_locked(self, obj_id, locked=True): raise NotImplementedError
    def add_objects(self, items, select=False): raise NotImplementedError
    def object_rows(self): raise NotImplementedError
    def outline(self, obj_id=None): raise NotImplementedError
    def renumber(self, mapping): raise NotImplementedError
