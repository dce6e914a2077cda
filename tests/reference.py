"""Where the published reference data live: ``../shared/reference-data`` beside the checkout
(the layout of every developer machine and of CI)."""

from pathlib import Path

REFERENCE_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "reference-data"
SICILY = REFERENCE_DATA / "sicily_smoking_ban.csv"
CARD_KRUEGER = REFERENCE_DATA / "card_krueger_njmin3.csv"
