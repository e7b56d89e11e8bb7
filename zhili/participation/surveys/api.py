"""REST endpoints of surveys, mounted under /api/v1/surveys/."""

from ninja import Router

router = Router(tags=["surveys"])
