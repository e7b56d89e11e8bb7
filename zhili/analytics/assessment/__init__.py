"""Grid and department assessment (考核)."""
