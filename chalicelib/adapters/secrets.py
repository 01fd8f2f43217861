"""Provider secrets from SSM Parameter Store, through Powertools Parameters.

In AWS, ``.chalice/config.json`` holds only where the secrets live (``SECRETS_PARAMETER_PATH``,
e.g. ``/hearback/prod/``); each secret is a parameter under that path named like its setting
(``/hearback/prod/TWILIO_AUTH_TOKEN``, a SecureString). One ``GetParametersByPath`` call reads
them all, decrypted, and Powertools caches the answer for ``max_age`` seconds.

A value set in the environment wins over the parameter, so an operator can override one setting
without touching SSM. Settings that say where to read from are never taken from SSM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.settings import Settings

DEFAULT_MAX_AGE_SECONDS = 300

# What a campaign puts in Parameter Store (README, "Secrets"): name -> what it is.
SECRET_PARAMETERS: dict[str, str] = {
    "TWILIO_ACCOUNT_SID": "Twilio account SID (AC...)",
    "TWILIO_AUTH_TOKEN": "Twilio auth token: signs webhooks, authenticates sends",
    "TWILIO_PHONE_NUMBER": "the campaign number, E.164",
    "META_APP_SECRET": "Meta app secret: signs webhooks (X-Hub-Signature-256)",
    "META_VERIFY_TOKEN": "any long random string, also typed into Meta's webhook setup",
    "META_PAGE_ACCESS_TOKEN": "Messenger/Instagram page access token",
    "WHATSAPP_ACCESS_TOKEN": "WhatsApp Cloud API access token",
    "WHATSAPP_PHONE_NUMBER_ID": "WhatsApp Cloud phone number id",
    "X_CONSUMER_KEY": "X app API key",
    "X_CONSUMER_SECRET": "X app API key secret: signs webhooks and CRC answers",
    "X_ACCESS_TOKEN": "X access token of the campaign account",
    "X_ACCESS_TOKEN_SECRET": "X access token secret",
    "X_USER_ID": "numeric id of the campaign's X account",
}
# Created by the CloudFormation stack itself (a String parameter, not a secret).
STACK_PARAMETERS = ("PUBLIC_BASE_URL",)

_NEVER_FROM_SSM = frozenset({"secrets_parameter_path", "aws_endpoint_url", "aws_region"})


def read_parameters(client: Any, path: str, max_age: int = DEFAULT_MAX_AGE_SECONDS) -> dict[str, str]:
    """Every parameter directly under ``path``, decrypted: ``{"TWILIO_AUTH_TOKEN": "...", ...}``."""
    provider = _provider(client)
    values = provider.get_multiple(_as_path(path), decrypt=True, max_age=max_age, recursive=False)
    return {str(name).strip("/"): str(value) for name, value in values.items()}


def overrides(parameters: Mapping[str, str], environ: Mapping[str, str], fields: set[str]) -> dict[str, str]:
    """The settings to take from SSM: known fields that the environment does not set."""
    in_environment = {name.lower() for name, value in environ.items() if value != ""}
    chosen = {}
    for name, value in parameters.items():
        field = name.lower()
        if field in fields and field not in _NEVER_FROM_SSM and field not in in_environment:
            chosen[field] = value
    return chosen


def with_parameters(
    settings: Settings,
    client: Any,
    environ: Mapping[str, str],
    max_age: int = DEFAULT_MAX_AGE_SECONDS,
) -> Settings:
    """``settings`` with its missing values filled from ``settings.secrets_parameter_path``."""
    if not settings.secrets_parameter_path:
        return settings
    parameters = read_parameters(client, settings.secrets_parameter_path, max_age)
    chosen = overrides(parameters, environ, set(type(settings).model_fields))
    if not chosen:
        return settings
    # Validated like any other source (e.g. PUBLIC_BASE_URL loses a trailing slash).
    values: dict[str, Any] = {**settings.model_dump(), **chosen}
    for name, field in type(settings).model_fields.items():
        if isinstance(field.validation_alias, str) and name in values:
            values[field.validation_alias] = values.pop(name)
    return type(settings).model_validate(values)


def _as_path(path: str) -> str:
    return "/" + path.strip("/") + "/"


# One provider per client: Powertools caches values on the provider, so the cache lives as long
# as the client (one Lambda container).
_providers: dict[int, Any] = {}


def _provider(client: Any) -> Any:
    provider = _providers.get(id(client))
    if provider is None:
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        provider = SSMProvider(boto3_client=client)
        _providers.clear()  # a new client replaces the old one (tests; a rebuilt container)
        _providers[id(client)] = provider
    return provider
