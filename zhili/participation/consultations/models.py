"""Models of consultations."""
