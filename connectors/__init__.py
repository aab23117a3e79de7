"""Connectors: one module per external system, turning it into canonical dossier records."""
