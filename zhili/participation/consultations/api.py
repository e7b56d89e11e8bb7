"""REST endpoints of consultations, mounted under /api/v1/consultations/."""

from ninja import Router

router = Router(tags=["consultations"])
