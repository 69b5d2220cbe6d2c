"""Serving: what leaves the warehouse for people and other systems: the published copy for BI,
the mart summary, dispute packs and alerts' payloads."""
