"""Hearback: every message a constituent sends is acknowledged, followed up and counted.

This file is the table of contents; the routes live in ``chalicelib/api``.
"""

from chalice import Chalice

from chalicelib.api import (
    schedules,
    shifts,
    tasks,
    users,
    webhooks_twilio,
    workers,
)

app = Chalice(app_name="hearback")

app.register_blueprint(webhooks_twilio.bp)
app.register_blueprint(tasks.bp)
app.register_blueprint(users.bp)
# follow-up (issue 3)
app.register_blueprint(workers.bp)
app.register_blueprint(schedules.bp)
app.register_blueprint(shifts.bp)
