"""Talking to the service: the async HTTP client, its replies, and its retry rules."""
