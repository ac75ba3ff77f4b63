"""Accounts, roles, named permissions and the data scope every read goes through."""
