"""Reading and writing files: imports, exports and pilot files (experiments/)."""
