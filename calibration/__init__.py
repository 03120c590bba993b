"""Calibration of tocsim against published targets (see docs/REFERENCES.md)."""
