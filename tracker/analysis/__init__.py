"""Pure statistics for "toetsing": pandas and numbers in, frozen dataclasses out.

No streamlit, no database (a test enforces it). Expected data problems are raised inside the
package as ``InsufficientData`` and come out of ``analyze`` as an ``insufficient_data`` result
with a reason code and Dutch/English text; programming errors raise.
"""
