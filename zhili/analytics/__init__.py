"""Cockpit, rollups and dashboards (驾驶舱)."""
