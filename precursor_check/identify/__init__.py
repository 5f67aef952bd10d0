"""Identification: CAS numbers and names, free-text mentions, and resolution of an identifier to a structure."""
