"""Jobs found again in the account's request history: lookups, matching, reconcile, import."""
