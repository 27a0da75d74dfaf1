"""Helpers and data shared by several test modules (imported as ``support``)."""
