"""Hearback: every message a constituent sends is acknowledged, followed up and counted.

This file is the table of contents; the routes live in ``chalicelib/api``.
"""

from chalice import Chalice

from chalicelib.api import tasks, users, webhooks_twilio

app = Chalice(app_name="hearback")

app.register_blueprint(webhooks_twilio.bp)
app.register_blueprint(tasks.bp)
app.register_blueprint(users.bp)

# -- the inbox page (issue 6) ----------------------------------------------------------
from chalicelib.api import people_search, saved_replies, web  # noqa: E402

app.register_blueprint(web.bp)
app.register_blueprint(saved_replies.bp)
app.register_blueprint(people_search.bp)
