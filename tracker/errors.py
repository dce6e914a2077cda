"""Typed errors that services raise and every caller (CLI, UI) shows in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from tracker.i18n import t


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: a stable code plus Dutch and English text."""

    field: str
    code: str
    message_nl: str
    message_en: str
    value: Any = None

    def message(self, lang: str = "nl") -> str:
        return self.message_en if lang == "en" else self.message_nl

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "code": self.code,
            "message_nl": self.message_nl,
            "message_en": self.message_en,
            "value": None if self.value is None else str(self.value),
        }


def field_error(field_name: str, code: str, value: Any = None, /, **params: Any) -> FieldError:
    """Build a FieldError from the message catalogue (key ``error.<code>``)."""
    return FieldError(
        field=field_name,
        code=code,
        message_nl=t(f"error.{code}", "nl", field=field_name, value=value, **params),
        message_en=t(f"error.{code}", "en", field=field_name, value=value, **params),
        value=value,
    )


class TrackerError(Exception):
    """Base for expected problems the user can act on."""


@dataclass
class ValidationError(TrackerError):
    """Input was refused; nothing was written."""

    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message("en"))

    def message(self, lang: str = "nl") -> str:
        return "\n".join(f"{e.field}: {e.message(lang)}" for e in self.errors)

    @classmethod
    def single(cls, field_name: str, code: str, value: Any = None, **params: Any):
        return cls([field_error(field_name, code, value, **params)])

    @classmethod
    def from_pydantic(cls, exc: PydanticValidationError) -> ValidationError:
        errors = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "__root__"
            raw_ctx = err.get("ctx") or {}
            ctx = {k: v for k, v in raw_ctx.items() if k not in ("field", "value")}
            # A validator that names the offending value (one bad area code in a list) knows
            # better than pydantic's input, which is the whole list.
            value = raw_ctx.get("value", err.get("input"))
            code = err["type"]
            known = t(f"error.{code}", "nl", field=name, value=value, **ctx)
            if known == f"error.{code}":  # not in the catalogue: keep pydantic's English text
                errors.append(
                    FieldError(
                        name,
                        code,
                        t("error.invalid", "nl", field=name, detail=err["msg"]),
                        t("error.invalid", "en", field=name, detail=err["msg"]),
                        value,
                    )
                )
            else:
                errors.append(field_error(name, code, value, **ctx))
        return cls(errors)


class NotFoundError(TrackerError):
    def __init__(self, entity: str, key: Any):
        self.entity, self.key = entity, key
        super().__init__(f"{entity} {key!r} not found")

    def message(self, lang: str = "nl") -> str:
        return t("error.not_found", lang, entity=t(f"entity.{self.entity}", lang), key=self.key)


class ConflictError(TrackerError):
    """A stale save: someone else saved a newer version first. The newer data are kept."""

    def __init__(self, entity: str, key: Any, expected_version: int, current_version: int):
        self.entity, self.key = entity, key
        self.expected_version, self.current_version = expected_version, current_version
        super().__init__(
            f"{entity} {key} was changed by someone else "
            f"(you had version {expected_version}, the database has {current_version})"
        )

    def message(self, lang: str = "nl") -> str:
        return t(
            "error.conflict",
            lang,
            entity=t(f"entity.{self.entity}", lang),
            key=self.key,
            expected=self.expected_version,
            current=self.current_version,
        )


class LockedError(TrackerError):
    """A pre-registered hypothesis cannot be edited, only amended with a reason."""

    def __init__(self, code: str, registered_at: Any):
        self.code, self.registered_at = code, registered_at
        super().__init__(f"hypothesis {code} is locked since {registered_at}; amend it instead")

    def message(self, lang: str = "nl") -> str:
        return t("error.locked", lang, code=self.code, registered_at=self.registered_at)
