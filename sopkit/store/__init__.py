"""Stores: one contract (``base.Store``), an embedded SQLite backend and a Google Sheets backend."""

from .base import Change, DuplicateId, NotFound, Register, StaleWrite, Store, StoreError

__all__ = ["Change", "DuplicateId", "NotFound", "Register", "StaleWrite", "Store", "StoreError"]
