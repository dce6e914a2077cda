"""Texts of the app shell (router, navigation, home page, database notices), Dutch and English.

Keys start with ``ui.`` so that they cannot clash with the catalogues of other modules.
"""

from __future__ import annotations

from tracker import i18n

MESSAGES: dict[str, dict[str, str]] = {
    # --- language switch (the label is bilingual on purpose: findable in either language)
    "ui.language.label": {"nl": "Taal / Language", "en": "Taal / Language"},
    "ui.language.nl": {"nl": "Nederlands", "en": "Nederlands"},
    "ui.language.en": {"nl": "English", "en": "English"},
    # --- navigation
    "ui.nav.section.pilots": {"nl": "Pilots", "en": "Pilots"},
    "ui.nav.section.learning": {"nl": "Leren", "en": "Learning"},
    "ui.nav.section.data": {"nl": "Gegevens", "en": "Data"},
    "ui.nav.home": {"nl": "Overzicht", "en": "Overview"},
    "ui.nav.pilot": {"nl": "Pilot", "en": "Pilot"},
    "ui.nav.new_pilot": {"nl": "Nieuwe pilot", "en": "New pilot"},
    "ui.nav.library": {"nl": "Bibliotheek", "en": "Library"},
    "ui.nav.codebook": {"nl": "Indicatoren", "en": "Measures"},
    "ui.nav.export": {"nl": "Export", "en": "Export"},
    "ui.nav.section.admin": {"nl": "Beheer", "en": "Administration"},
    "ui.nav.users": {"nl": "Gebruikers", "en": "Users"},
    # --- home page
    "ui.home.title": {
        "nl": "Proeftuin: leren van beleidsexperimenten",
        "en": "Proeftuin: learning from policy experiments",
    },
    "ui.home.intro": {
        "nl": (
            "Proeftuin helpt gemeenten om te leren van pilots in het sociaal domein. U legt "
            "vooraf vast wat u verwacht, houdt bij wat u doet en meet wat er gebeurt. Daarna "
            "toetst Proeftuin elke verwachting aan de metingen, en schrijft u op wat u ervan "
            "leert: opschalen, bijstellen of stoppen."
        ),
        "en": (
            "Proeftuin helps municipalities learn from pilots in the social domain. You record "
            "beforehand what you expect, keep track of what you do and measure what happens. "
            "Proeftuin then tests each expectation against the measurements, and you write down "
            "what you learn: scale up, adjust or stop."
        ),
    },
    "ui.home.loop": {
        "nl": "**verwachten → doen → meten → toetsen → leren**",
        "en": "**expect → do → measure → test → learn**",
    },
    "ui.home.pilots": {"nl": "Alle pilots", "en": "All pilots"},
    "ui.home.how": {"nl": "Hoe werkt Proeftuin?", "en": "How does Proeftuin work?"},
    "ui.home.late_note": {
        "nl": (
            "⚠ te laat vastgelegd: hypothesen die pas na de start van de interventie zijn "
            "vastgelegd. Hun toetsing is minder overtuigend, want de uitkomst kon al bekend zijn."
        ),
        "en": (
            "⚠ registered late: hypotheses recorded only after the intervention had started. "
            "Testing them is less convincing, because the outcome may already have been known."
        ),
    },
    "ui.home.empty": {
        "nl": (
            "Er staan nog geen pilots in de database. Wilt u eerst rondkijken? Laad dan de "
            "voorbeeldgegevens met het commando `tracker demo load` en ververs deze pagina."
        ),
        "en": (
            "There are no pilots in the database yet. Want to look around first? Load the "
            "demonstration data with the command `tracker demo load` and refresh this page."
        ),
    },
    # --- pilot table
    "ui.column.title": {"nl": "Pilot", "en": "Pilot"},
    "ui.column.municipality": {"nl": "Gemeente", "en": "Municipality"},
    "ui.column.status": {"nl": "Status", "en": "Status"},
    "ui.column.hypotheses": {"nl": "Hypothesen", "en": "Hypotheses"},
    "ui.column.late": {"nl": "Te laat vastgelegd", "en": "Registered late"},
    "ui.column.measurements": {"nl": "Metingen", "en": "Measurements"},
    "ui.late.value": {"nl": "⚠ {late} van {total}", "en": "⚠ {late} of {total}"},
    # --- pilot status (models.PilotStatus)
    "ui.status.concept": {"nl": "concept", "en": "concept"},
    "ui.status.baseline": {"nl": "nulmeting", "en": "baseline"},
    "ui.status.running": {"nl": "lopend", "en": "running"},
    "ui.status.evaluating": {"nl": "evaluatie", "en": "evaluating"},
    "ui.status.closed": {"nl": "afgesloten", "en": "closed"},
    # --- database notices
    "ui.db.not_migrated": {
        "nl": (
            "De database is nog niet ingericht. Voer in een terminal `tracker db upgrade` uit; "
            "met `tracker demo load` zet u er daarna voorbeeldgegevens in. Ververs dan deze "
            "pagina."
        ),
        "en": (
            "The database has not been set up yet. Run `tracker db upgrade` in a terminal; "
            "`tracker demo load` then fills it with demonstration data. Then refresh this page."
        ),
    },
    "ui.db.outdated": {
        "nl": (
            "De database heeft een andere versie ({current}) dan deze app verwacht ({head}). "
            "Voer in een terminal `tracker db upgrade` uit en ververs deze pagina."
        ),
        "en": (
            "The database has a different version ({current}) than this app expects ({head}). "
            "Run `tracker db upgrade` in a terminal and refresh this page."
        ),
    },
    "ui.db.busy": {
        "nl": (
            "De database is bezet: een andere opslag (bijvoorbeeld een grote import) duurt "
            "langer dan de wachttijd. Er is niets opgeslagen; probeer het over een minuut opnieuw."
        ),
        "en": (
            "The database is busy: another save (a large import, say) is taking longer than the "
            "waiting time. Nothing was saved; try again in a minute."
        ),
    },
    "ui.db.unreachable": {
        "nl": (
            "De database ({url}) is niet bereikbaar. Controleer de instelling "
            "TRACKER_DATABASE_URL en of de databaseserver draait. Melding: {detail}"
        ),
        "en": (
            "The database ({url}) cannot be reached. Check the setting TRACKER_DATABASE_URL "
            "and whether the database server is running. Message: {detail}"
        ),
    },
}

i18n.register(MESSAGES)
