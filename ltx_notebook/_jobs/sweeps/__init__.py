"""Sweeps: the plan (prompts × grid), its gate, and submitting it at the account's pace."""
