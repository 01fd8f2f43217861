"""Hearback: every message a constituent sends is acknowledged, followed up and counted.

This file is the table of contents; the routes live in ``chalicelib/api``.
"""

from chalice import Chalice

from chalicelib.api import observability, tasks, users, webhooks_twilio

app = Chalice(app_name="hearback")
observability.register(app)  # JSON logs with personal data redacted, EMF metrics (every event type)

app.register_blueprint(webhooks_twilio.bp)
app.register_blueprint(tasks.bp)
app.register_blueprint(users.bp)
