"""Hearback: every message a constituent sends is acknowledged, followed up and counted.

This file is the table of contents; the routes live in ``chalicelib/api``.
"""

from chalice import Chalice

from chalicelib.api import observability, tasks, users, webhooks_twilio

# -- channels (issue 5) --
# isort: split
from chalicelib.api import email, webhooks_meta, webhooks_voice, webhooks_x

# -- follow-up (issue 3) --
# isort: split
from chalicelib.api import schedules, shifts, workers

app = Chalice(app_name="hearback")
observability.register(app)  # JSON logs with personal data redacted, EMF metrics (every event type)

app.register_blueprint(webhooks_twilio.bp)
app.register_blueprint(tasks.bp)
app.register_blueprint(users.bp)

# -- channels (issue 5) --
app.register_blueprint(webhooks_meta.bp)
app.register_blueprint(webhooks_voice.bp)
app.register_blueprint(webhooks_x.bp)
app.register_blueprint(email.bp)

# -- follow-up (issue 3) --
app.register_blueprint(workers.bp)
app.register_blueprint(schedules.bp)
app.register_blueprint(shifts.bp)
