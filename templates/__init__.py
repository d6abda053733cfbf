"""pakta's built-in document templates (installed as the package pakta._templates)."""
