"""Small helpers shared by the services."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from pydantic import ValidationError as PydanticValidationError
from sqlmodel import SQLModel

from tracker.errors import ValidationError

M = TypeVar("M", bound=SQLModel)


def validate(model: type[M], data: M | dict[str, Any]) -> M:
    """Validate input with a Create/Update model; raise our typed ValidationError on failure."""
    if isinstance(data, model):
        data = data.model_dump()
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError.from_pydantic(exc) from None


def snapshot(row: SQLModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row, for audit before/after values.

    Enum columns come back from the database as plain strings, which serialize the same;
    pydantic's "expected enum" warnings about them are noise, so they are off. Secrets (a
    password hash) never enter the audit trail.
    """
    if row is None:
        return None
    return row.model_dump(mode="json", warnings=False, exclude=SECRET_FIELDS)


SECRET_FIELDS = {"password_hash"}


def canonical_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept (the input to content hashes)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
