"""Models of emergency."""
