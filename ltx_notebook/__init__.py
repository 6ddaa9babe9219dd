"""ltx-notebook."""
