"""One settings object, read from the environment.

Every setting has a default and a help text; the README lists them all (a test checks that).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "proeftuin.db"


def _setting(default: str, help_text: str) -> str:
    return field(default=default, metadata={"help": help_text})  # type: ignore[return-value]


@dataclass(frozen=True)
class Settings:
    database_url: str = _setting(
        f"sqlite:///{DEFAULT_DB_PATH}",
        "SQLAlchemy URL of the database. Default: an SQLite file data/proeftuin.db in the "
        "project (WAL, foreign keys on, busy timeout). PostgreSQL: "
        "postgresql+psycopg://user:password@localhost/proeftuin.",
    )
    sqlite_busy_timeout_ms: str = _setting(
        "30000",
        "How long (milliseconds) an SQLite write waits for another writer (a large import "
        "holds the lock for seconds) before giving up.",
    )
    language: str = _setting("nl", "Default interface language: nl (Dutch) or en (English).")
    actor: str = _setting(
        "",
        "Name recorded as 'who' in the audit trail for writes made with the CLI (which acts "
        "with the database's own rights). Default: cli:<login name of the operating-system "
        "user>. The app records the signed-in account instead.",
    )
    session_timeout_minutes: str = _setting(
        "30",
        "Minutes without activity after which the app signs a person out.",
    )
    login_lockout_after: str = _setting(
        "5",
        "Failed sign-ins in a row after which an account must wait before the next attempt.",
    )
    login_lockout_seconds: str = _setting(
        "60",
        "The first wait after too many failed sign-ins (seconds); it doubles with every further "
        "failure, up to 15 minutes. During the wait even the right password is refused; "
        "afterwards a correct sign-in resets the count.",
    )
    import_max_bytes: str = _setting(
        str(200 * 1024 * 1024),
        "Largest measurement file (bytes) that an import accepts; larger files are refused "
        "before reading.",
    )
    export_suppress_below: str = _setting(
        "5",
        "Small-number protection of exports: when it is switched on (Export page, or tracker "
        "export --suppress-below), counts, numerators and denominators below this number are "
        "left out and marked. This is the threshold offered by default.",
    )

    @property
    def busy_timeout_ms(self) -> int:
        return int(self.sqlite_busy_timeout_ms)

    @property
    def session_timeout(self) -> dt.timedelta:
        return dt.timedelta(minutes=float(self.session_timeout_minutes))

    @property
    def max_import_bytes(self) -> int:
        return int(self.import_max_bytes)

    @property
    def suppress_below(self) -> int:
        return int(self.export_suppress_below)


ENV_PREFIX = "TRACKER_"


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build the settings from ``TRACKER_*`` environment variables."""
    env = os.environ if environ is None else environ
    values = {f.name: env[env_name(f.name)] for f in fields(Settings) if env_name(f.name) in env}
    return Settings(**values)


def documented_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for the README and --help."""
    return [(env_name(f.name), f.default, f.metadata["help"]) for f in fields(Settings)]
