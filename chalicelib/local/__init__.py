"""The one-process local stack behind `make run` (see ``stack.py``)."""
