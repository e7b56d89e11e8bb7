"""Consultations with tracked outcomes (民主协商)."""
