"""All tables; importing this package registers every model on Base.metadata."""

from service.db import Base
from service.models.dossiers import Dossier, StatusEvent, SupplementRound
from service.models.ingestion import ConnectorRun
from service.models.units import Procedure, Unit

__all__ = [
    "Base",
    "ConnectorRun",
    "Dossier",
    "Procedure",
    "StatusEvent",
    "SupplementRound",
    "Unit",
]
