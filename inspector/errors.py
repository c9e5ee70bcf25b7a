"""Errors meant for users: the CLI prints them as one line and exits 2; the app shows them."""


class UserError(ValueError):
    """Bad input from a user (argument, file, setting). The message is the whole story."""
