"""The `interdict` command line: a thin layer over `interdict.api` (entry point:
`interdict.cli.main:main`). One module per command group; `common` holds what they share."""
