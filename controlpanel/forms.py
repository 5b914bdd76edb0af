"""HTML forms: cleaning only, no side effects."""

from __future__ import annotations

from django import forms
from django.conf import settings

from controlpanel.lib.envfile import EnvFileError, parse_env_text
from controlpanel.models import Role
from controlpanel.services.gateways import GatewayNameInvalid, gateway_name_clean


class ConfigImportForm(forms.Form):
    """Paste or upload an ``openclaw.json``; optional ``KEY=VALUE`` lines resolve ``${VAR}`` references."""

    name = forms.CharField(
        required=False,  # gateway_name_clean says what is wrong, length included
        help_text="A name for the gateway in the panel. Letters, digits, dots, dashes and underscores.",
    )
    config_text = forms.CharField(
        label="openclaw.json",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
        help_text="JSON5: comments, trailing commas and unquoted keys are fine.",
    )
    config_file = forms.FileField(label="…or upload the file", required=False)
    env_text = forms.CharField(
        label="Environment (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "code"}),
        help_text="KEY=VALUE lines that resolve ${VAR} references. Used for this check only, never stored.",
    )

    def __init__(self, *args, require_name: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.require_name = require_name
        if not require_name:
            del self.fields["name"]

    def clean_name(self) -> str:
        # Whether the name is taken is answered only by a real import (the view): "Validate only"
        # must not tell anyone which names other people's gateways have.
        name = self.cleaned_data.get("name", "")
        if not self.require_name:
            return name.strip()
        try:
            return gateway_name_clean(name)
        except GatewayNameInvalid as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_config_file(self):
        upload = self.cleaned_data.get("config_file")
        if upload is None:
            return None
        if upload.size > settings.CP_MAX_CONFIG_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.CP_MAX_CONFIG_BYTES // 1024} KiB."
            )
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc

    def clean_config_text(self) -> str:
        text = self.cleaned_data.get("config_text", "")
        if len(text.encode()) > settings.CP_MAX_CONFIG_BYTES:
            raise forms.ValidationError(
                f"The config is larger than {settings.CP_MAX_CONFIG_BYTES // 1024} KiB."
            )
        return text

    def clean_env_text(self) -> dict[str, str]:
        try:
            return parse_env_text(self.cleaned_data.get("env_text", ""))
        except EnvFileError as exc:
            raise forms.ValidationError(f"Environment {exc}") from exc

    def clean(self) -> dict:
        data = super().clean()
        uploaded = data.get("config_file")
        if uploaded:
            data["config_text"] = uploaded
        unreadable = "config_text" in self.errors or "config_file" in self.errors
        if not unreadable and not (data.get("config_text") or "").strip():
            self.add_error("config_text", "Paste the config or upload the file.")
        return data


class MembershipForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices)
