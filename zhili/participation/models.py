"""Participation models. Each part of participation keeps its models in its own package."""

from zhili.participation.elections.models import (
    Ballot,
    Booth,
    BoothEntry,
    Candidate,
    Election,
    ElectionBoard,
    Objection,
    Post,
    ResidentAccount,
    RollEntry,
    Turnout,
)

__all__ = [
    "Ballot",
    "Booth",
    "BoothEntry",
    "Candidate",
    "Election",
    "ElectionBoard",
    "Objection",
    "Post",
    "ResidentAccount",
    "RollEntry",
    "Turnout",
]
