"""Dossier list filters: validated parameters to one SQLAlchemy select, with keyset pages.

The clerks' list page, its XLSX export and the REST API all call `dossier_query` or
`dossier_page`, so a filter means the same thing everywhere.
"""

from service.dossiers.filters.keyset import (
    DossierPage,
    count_capped,
    count_matching,
    dossier_page,
    matching_rows,
)
from service.dossiers.filters.params import (
    EVERYTHING,
    MAX_ID,
    MAX_LIMIT,
    SORT_CHOICES,
    SORTS,
    SYNC_STATES,
    DossierQuery,
    DossierQuerySchema,
    Scope,
    decode_cursor,
    encode_cursor,
    load_query,
)
from service.dossiers.filters.query import class_condition, dossier_query, ranked_queries

__all__ = [
    "EVERYTHING", "MAX_ID", "MAX_LIMIT", "SORTS", "SORT_CHOICES", "SYNC_STATES", "DossierPage",
    "DossierQuery", "DossierQuerySchema", "Scope", "class_condition", "count_capped",
    "count_matching", "decode_cursor", "dossier_page", "dossier_query", "encode_cursor",
    "load_query", "matching_rows", "ranked_queries",
]
