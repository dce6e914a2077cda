"""Bringing data in on the Metingen tab, run by AppTest against a real database: the column-mapping
step for a file whose headers differ, and a CBS StatLine download mapped onto the measure."""

from __future__ import annotations

import math

from sqlmodel import select

from tests.app.test_pages import PILOT_PAGE, world  # noqa: F401  (the two-pilot fixture)
from tests.app_helpers import open_page
from tracker.db import session_scope
from tracker.models import AuditEvent, Measurement

OWN_HEADERS = "Maand;Wijk;Gemiddelde wachttijd;Opmerking\n" + "".join(
    f"2020-{m:02d}-01;WK036301;{40 + m},5;x\n" for m in range(1, 4)
)

# A StatLine TypedDataSet download: padded region codes, '.' for a suppressed cell, a
# dimension (Geslacht) with a total first, and a region outside the pilot.
STATLINE = (
    '"ID";"Geslacht";"RegioS";"Perioden";"Contacten_1"\r\n'
    '0;"T001038";"WK036301  ";"2020MM01";"      41.5"\r\n'
    '1;"T001038";"WK036301  ";"2020MM02";"       ."\r\n'
    '2;"T001038";"WK036301  ";"2020MM03";"      39.0"\r\n'
    '3;"T001038";"GM0363    ";"2020MM01";"      50.1"\r\n'
    '4;"3000   ";"WK036301  ";"2020MM01";"      20.0"\r\n'
)


def stored(engine, pilot_id: int) -> list[tuple[str, str, str, float]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Measurement).where(Measurement.pilot_id == pilot_id)).all()
        return sorted((m.period.isoformat(), m.area, str(m.group), m.value) for m in rows)


def metingen(pilot: str = "mentoren-zuid"):
    return open_page(PILOT_PAGE, pilot=pilot, tab="Metingen")


def test_a_file_with_its_own_headers_is_mapped_then_imported(world, engine):  # noqa: F811
    at = metingen()
    at.file_uploader(key="upload").set_value(("eigen.csv", OWN_HEADERS.encode(), "text/csv"))
    at.run()
    # The proposal from the names: Maand → period, Wijk → area, the average → value.
    assert [at.selectbox(key=f"map-{i}").value for i in range(4)] == ["period", "area", "value", ""]
    at.button(key="upload-save").click().run()
    assert any("3 metingen toegevoegd" in s.value for s in at.success), [e.value for e in at.error]
    assert stored(engine, world["zuid"]) == [
        ("2020-01-01", "WK036301", "pilot", 41.5),
        ("2020-02-01", "WK036301", "pilot", 42.5),
        ("2020-03-01", "WK036301", "pilot", 43.5),
    ]


def test_a_changed_mapping_is_what_the_import_reads(world, engine):  # noqa: F811
    at = metingen()
    at.file_uploader(key="upload").set_value(("eigen.csv", OWN_HEADERS.encode(), "text/csv"))
    at.run()
    at.selectbox(key="map-2").set_value("").run()  # the figures are not used: nothing to read
    at.button(key="upload-save").click().run()
    assert any("fout(en) in eigen.csv" in e.value for e in at.error)
    assert stored(engine, world["zuid"]) == []


def test_a_tidy_file_asks_no_mapping(world):  # noqa: F811
    at = metingen()
    tidy = b"period,value\n2020-01-01,12\n"
    at.file_uploader(key="upload").set_value(("goed.csv", tidy, "text/csv"))
    at.run()
    assert not [s for s in at.selectbox if str(s.key).startswith("map-")]
    assert "Kolommen herkend: period, value" in [c.value for c in at.caption]


def test_statline_preview_then_save_leaves_suppressed_cells_missing(world, engine):  # noqa: F811
    at = metingen()
    at.file_uploader(key="statline-upload").set_value(
        ("85618NED.csv", STATLINE.encode(), "text/csv")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="sl-col-value").value == "Contacten_1"
    assert at.selectbox(key="sl-dim-Geslacht").value == "T001038"
    # The pilot's own wijk is proposed as pilot area; the municipality is left out until chosen.
    assert at.multiselect(key="sl-pilot-regions").value == ["WK036301"]
    preview = at.dataframe[-1].value
    assert list(preview["value"]) == [41.5, 39.0]
    assert any("1 cel(len) zonder cijfer" in i.value for i in at.info)
    at.multiselect(key="sl-comparison-regions").set_value(["GM0363"]).run()
    at.button(key="sl-check").click().run()
    assert any("3 rijen zijn in orde" in s.value for s in at.success), [e.value for e in at.error]
    assert stored(engine, world["zuid"]) == []  # a dry run writes nothing
    at.button(key="sl-save").click().run()
    assert any("3 metingen toegevoegd" in s.value for s in at.success)
    rows = stored(engine, world["zuid"])
    assert rows == [
        ("2020-01-01", "GM0363", "comparison", 50.1),
        ("2020-01-01", "WK036301", "pilot", 41.5),
        ("2020-03-01", "WK036301", "pilot", 39.0),
    ]
    assert not any(v == 0 or math.isnan(v) for *_, v in rows)  # the '.' month is simply absent
    with session_scope(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()[-1]
    assert event.after["statline"]["columns"] == {"value": "Contacten_1"}
    assert event.after["statline"]["left_out"] == 1


def test_a_statline_file_with_a_bad_period_is_refused_with_its_row(world, engine):  # noqa: F811
    broken = STATLINE.replace("2020MM03", "2020HJ01")
    at = metingen()
    at.file_uploader(key="statline-upload").set_value(("kapot.csv", broken.encode(), "text/csv"))
    at.run()
    at.button(key="sl-save").click().run()
    assert any("fout(en) in kapot.csv" in e.value for e in at.error)
    errors = at.dataframe[-1].value
    assert list(errors["Rij"]) == [4]
    assert "2020HJ01" in errors["Waarde"].iloc[0]
    assert stored(engine, world["zuid"]) == []
