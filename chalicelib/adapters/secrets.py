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
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.adapters.channels.registry import secrets

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings

S = TypeVar("S", bound="CoreSettings")

DEFAULT_MAX_AGE_SECONDS = 300

# What a campaign puts in Parameter Store (README, "Secrets"): name -> what it is, as the
# channel modules declare them.
SECRET_PARAMETERS: dict[str, str] = secrets()
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
    settings: S,
    client: Any,
    environ: Mapping[str, str],
    max_age: int = DEFAULT_MAX_AGE_SECONDS,
) -> S:
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
