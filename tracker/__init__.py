"""Proeftuin: a policy-experiment tracker for Dutch municipalities."""

__version__ = "0.1.0"
