"""Online polls and surveys (在线民意调查)."""
