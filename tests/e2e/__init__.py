"""Browser tests: the real app (``reflex run --env prod``) driven by Chromium through Playwright."""
