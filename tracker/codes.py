"""The forms of identifiers, shared by the models (validation) and tracker.io (file checks).

Pure: no database, no streamlit. Use ``pattern.fullmatch(text)``.
"""

from __future__ import annotations

import re

GM_CODE = re.compile(r"GM\d{4}")  # CBS gemeentecode
AREA_CODE = re.compile(r"GM\d{4}|WK\d{6}|BU\d{8}")  # gemeente, wijk or buurt
MEASURE_CODE = re.compile(r"[a-z][a-z0-9_]{1,62}")  # codebook code
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")  # pilot short name
