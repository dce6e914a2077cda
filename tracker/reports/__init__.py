"""Lessons-learned reports: the facts (model), the words (writer), the formats (render_*).

Pure: no Streamlit, no database; ``tracker.services.reports`` builds the model from stored data
and keeps drafts and published versions.
"""
