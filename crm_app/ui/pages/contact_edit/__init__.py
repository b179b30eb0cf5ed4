"""The contact file page, one small module per part of it (``page`` assembles them)."""
