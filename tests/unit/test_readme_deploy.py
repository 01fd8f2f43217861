"""The deployment guide names every parameter to create and every output to paste."""

from __future__ import annotations

from pathlib import Path

import yaml

from chalicelib.adapters.secrets import SECRET_PARAMETERS
from chalicelib.infra.package import MERGE_TEMPLATE

ROOT = Path(__file__).resolve().parents[2]


def deploy_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("<!-- section: deploy -->")
    end = text.index("<!-- section:", start + 1)
    return text[start:end]


def test_every_secret_has_its_put_parameter_command() -> None:
    section = deploy_section()
    for name in SECRET_PARAMETERS:
        assert f"--name ${{P}}{name} " in section, name


def test_every_webhook_output_is_explained() -> None:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    outputs = yaml.load(MERGE_TEMPLATE.read_text(), Loader=Loader)["Outputs"]
    section = deploy_section()
    for name in outputs:
        if name.endswith("WebhookUrl") or name.endswith("CallbackUrl"):
            assert f"`{name}`" in section, name
