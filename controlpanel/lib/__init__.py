"""Helpers with no models and no Django imports."""
