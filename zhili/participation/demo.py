"""Demo data of participation, called by the demo loader after the demo region is in place."""

from zhili.participation.elections.demo import load_demo_by_election, load_demo_election

__all__ = ["load_demo_by_election", "load_demo_election"]
