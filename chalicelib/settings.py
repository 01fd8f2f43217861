"""The core settings: the campaign, the resources, follow-up work, exports, the texts.

The composed class (these and every provider module's settings) is in ``chalicelib/config.py``,
read lazily through its ``get_settings`` (never at import time): Chalice's test client
and the local runner set environment variables after modules are imported.
Secrets have no default here on purpose: a deployed function with a missing secret
must refuse webhooks, not verify them against a well-known development value. The
local runner (``chalicelib.local``) supplies development values and prints them.
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_ISSUES = "economy,healthcare,housing,education,environment,public_safety,immigration,taxes,transportation"


class CoreSettings(BaseSettings):
    """What the core reads; each provider's module adds its own settings class (see
    ``chalicelib/config.py``, which composes them)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Where providers reach us; webhook signatures are checked against it.
    public_base_url: str = "http://127.0.0.1:8000"
    campaign_name: str = "Our campaign"
    campaign_issues: str = DEFAULT_ISSUES

    # In AWS: the SSM path under which the secrets above live (e.g. /hearback/prod/).
    secrets_parameter_path: str | None = None

    organizer_token: str | None = None
    outbound: Literal["outbox", "live"] = "outbox"
    aws_endpoint_url: str | None = None
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")

    # Resources (created by the template in AWS, by the local stack locally).
    table_name: str = "hearback"
    outbound_queue_name: str = "hearback-outbound"
    outbound_dlq_name: str = "hearback-outbound-dlq"
    exports_bucket: str = "hearback-exports"

    # Follow-up work.
    task_sla_minutes: int = 60
    task_lease_minutes: int = 15
    task_queue_shards: int = Field(default=4, ge=1, le=64)
    dedupe_ttl_days: int = Field(default=14, ge=8)

    # People, stance, exports.
    # The export job queue's name is also fixed in chalicelib/api/exports.py (Chalice reads
    # queue names when the app is imported, before settings exist).
    export_jobs_queue_name: str = "hearback-exports"
    export_jobs_dlq_name: str = "hearback-exports-dlq"
    # Above this an HTTP export asks for an export job (Lambda answers at most 6 MB).
    export_inline_max_bytes: int = Field(default=5_000_000, ge=1000)
    # The stats snapshot is recomputed by a scheduled job; older than this, on demand.
    stats_max_age_minutes: int = Field(default=30, ge=1)
    stats_window_days: int = Field(default=30, ge=1, le=366)
    # Volunteers answer: sending hours, escalation, the outbound worker.
    sending_hours_start: str = "09:00"
    sending_hours_end: str = "20:00"
    # When neither the ZIP nor the number's area code tells the recipient's zone.
    default_timezone: str = "America/New_York"
    # Past due, on-shift volunteers are told at once; organizers this much later.
    escalate_to_organizers_minutes: int = Field(default=30, ge=0)
    # Below the dead-letter queue's receive count, so a failing message ends failed with its reason.
    send_max_attempts: int = Field(default=4, ge=1, le=4)
    send_lease_seconds: int = Field(default=30, ge=5, le=55)

    # What constituents read. {campaign} is replaced by campaign_name. Per channel, the
    # channel's module may give its own default, and ACK_TEXT_<CHANNEL> (FIRST_CONTACT_NOTICE_<CHANNEL>,
    # HELP_TEXT_<CHANNEL>) overrides both: those are collected into text_overrides.
    ack_text: str = "Thanks for writing to {campaign}. A volunteer will get back to you soon."
    first_contact_notice: str = "Reply STOP to opt out."
    help_text: str = "{campaign}: a volunteer answers messages here. Reply STOP to opt out, START to opt back in."
    text_overrides: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TextOverrides(settings_cls), dotenv_settings, file_secret_settings

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def issue_slugs(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.campaign_issues.split(",") if s.strip())

    def render(self, template: str) -> str:
        return template.replace("{campaign}", self.campaign_name)


class _TextOverrides(PydanticBaseSettingsSource):
    """``ACK_TEXT_VOICE=...`` and the like, for any channel: one setting a text and channel
    without a field for each (the channels are whatever modules the registry lists)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found = {name.lower(): value for name, value in os.environ.items() if TEXT_OVERRIDE.match(name.upper())}
        return {"text_overrides": found} if found else {}


TEXT_OVERRIDE = re.compile(r"^(ACK_TEXT|FIRST_CONTACT_NOTICE|HELP_TEXT)_[A-Z][A-Z0-9_]*$")
