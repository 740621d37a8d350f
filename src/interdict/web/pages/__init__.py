"""HTML pages, one router per area; each renders through `interdict.web.deps.render`."""
