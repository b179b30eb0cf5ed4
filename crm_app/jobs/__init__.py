"""Long or periodic work run outside a request (imports, exports): entry points take ids and open their own sessions."""
