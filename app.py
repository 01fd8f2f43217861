"""Hearback: every message a constituent sends is acknowledged, followed up and counted.

This file is the table of contents; everything else lives in ``chalicelib``.
"""

from chalice import Chalice

from chalicelib.api import (
    exports,
    observability,
    people,
    people_search,
    saved_replies,
    schedules,
    shifts,
    stats,
    tasks,
    team,
    users,
    web,
    webhooks,
    workers,
)

app = Chalice(app_name="hearback")
observability.register(app)  # JSON logs with personal data redacted, EMF metrics (every event type)

# Webhooks (and the SNS topic of inbound mail), one route per channel module's declaration;
# each verifies its provider's signature first.
app.register_blueprint(webhooks.bp)

# Volunteer and organizer API.
app.register_blueprint(users.bp)
app.register_blueprint(tasks.bp)
app.register_blueprint(shifts.bp)
app.register_blueprint(people.bp)
app.register_blueprint(people_search.bp)
app.register_blueprint(saved_replies.bp)
app.register_blueprint(team.bp)
app.register_blueprint(exports.bp)
app.register_blueprint(stats.bp)

# Queue workers and scheduled jobs.
app.register_blueprint(workers.bp)
app.register_blueprint(schedules.bp)

# The inbox page.
app.register_blueprint(web.bp)
