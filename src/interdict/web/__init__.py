"""The web app (`interdict.web.app.create_app`): HTML pages and a JSON API, thin layers over
`interdict.api`."""
