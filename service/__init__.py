"""tthc-monitor: keeps every administrative-procedure dossier of a commune on time and visible.

The package itself imports nothing: the domain lives in its sub-packages (`vocabulary`,
`calendar`, `deadlines`, `dossiers`, `ingest`, `alerts`, `portal`, `reports`, `users`), the
edges that face people in `web` and `cli`. Build the web app with `service.web.create_app`.
"""
