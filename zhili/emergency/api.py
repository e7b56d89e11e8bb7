"""REST endpoints of emergency, mounted under /api/v1/emergency/."""

from ninja import Router

router = Router(tags=["emergency"])
