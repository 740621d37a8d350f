"""The JSON API under /api, one router per area; response shapes in `interdict.web.models`."""
