"""The bottom layer: errors, settings, parameters and statuses. Imports nothing of ours."""
