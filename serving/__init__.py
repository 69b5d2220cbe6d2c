"""Serving: what leaves the warehouse for people and other systems (alerts' payloads)."""
