"""Fact collectors: they only generate commands and parse what hosts answer; no judgement here."""
