"""Custom contact fields: per-type form definitions, the field-type registry and value validation."""
