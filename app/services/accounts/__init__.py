"""Accounts: staff users, roles, sign-in limits, sessions, and integration API tokens."""
