"""HTML forms: cleaning only, no side effects."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator

from controlpanel.lib.envfile import EnvFileError, parse_env_text
from controlpanel.models import Gateway, Role
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
        # A NUL in the text is the validator's to refuse, naming where it is (not Django's blanket no).
        text = self.fields["config_text"]
        text.validators = [v for v in text.validators if not isinstance(v, ProhibitNullCharactersValidator)]
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


class InvitationForm(forms.Form):
    email = forms.EmailField(
        required=False,
        help_text="Optional. With an address the link is e-mailed (when a mail server is configured); "
        "either way it is shown to you once.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class GatewayTagsForm(forms.Form):
    tags = forms.CharField(
        required=False,
        max_length=900,
        help_text="Comma-separated, e.g. prod, eu. Identity-provider group rules grant roles by tag.",
    )

    def clean_tags(self) -> str:
        from controlpanel.identity.group_roles import RuleError, normalise_tags

        try:
            normalise_tags(self.cleaned_data["tags"])
        except RuleError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data["tags"]


class UserCreateForm(forms.Form):
    """An owner creates an account with a role on one of the gateways they own."""

    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    gateway = forms.ModelChoiceField(queryset=Gateway.objects.none(), to_field_name="code")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, owned=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gateway"].queryset = owned if owned is not None else Gateway.objects.none()

    def clean_username(self) -> str:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.validators import UnicodeUsernameValidator

        username = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(username)
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken.")
        return username


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )
