"""Dossiers: deriving their deadlines at ingest, filters, the citizen lookup, plain-data views."""
