"""Hearback: every message a constituent sends is acknowledged, followed up and counted.

This file is the table of contents; the routes live in ``chalicelib/api``.
"""

from chalice import Chalice

from chalicelib.api import (
    exports,
    observability,
    people,
    schedules,
    shifts,
    stats,
    tasks,
    users,
    webhooks_twilio,
    workers,
)

# -- channels (issue 5) --
# isort: split
from chalicelib.api import email, webhooks_meta, webhooks_voice, webhooks_x

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

# follow-up (issue 3)
app.register_blueprint(workers.bp)
app.register_blueprint(schedules.bp)
app.register_blueprint(shifts.bp)
# people, stance, exports
app.register_blueprint(people.bp)
app.register_blueprint(exports.bp)
app.register_blueprint(stats.bp)

# -- the inbox page (issue 6) ----------------------------------------------------------
from chalicelib.api import people_search, saved_replies, team, web  # noqa: E402

app.register_blueprint(web.bp)
app.register_blueprint(saved_replies.bp)
app.register_blueprint(people_search.bp)
app.register_blueprint(team.bp)
