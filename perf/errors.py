"""The one error type the harness stops on with a message instead of a traceback."""


class HarnessError(Exception):
    """Something to measure did not work: a set-up command, the server or a page."""
