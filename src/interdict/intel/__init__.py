"""The intelligence wing: records files and their writer, sanctions lists, name matching and
screening, screening on ingest (the watchlist), entity resolution, entity reads and link analysis.

Builds on the core (`interdict.access`, `markings`, `tables`, `workspace`, `accounts`); nothing here
imports the API or the faces (CLI, web)."""
