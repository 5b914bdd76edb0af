"""URL map. Names are ``<area>-<page>``; every pattern here is covered by tests/views/test_authz_matrix.py."""

from django.urls import include, path

from controlpanel.authn import oidc, passkeys
from controlpanel.views import (
    account,
    agents,
    alerts,
    api,
    api_workflows,
    approvals,
    audits,
    auth,
    configs,
    connection,
    devices,
    docs,
    fleet,
    gateways,
    ingest,
    invitations,
    members,
    memory,
    notify,
    once,
)

gw = "gateways/<uuid:code>/"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("login/code/", auth.login_code, name="login-code"),
    path("logout/", auth.logout_view, name="logout"),
    # Single sign-on (mozilla-django-oidc's URL names; 404 unless CP_OIDC_ISSUER is set).
    path("oidc/authenticate/", oidc.SignInView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("invitations/<str:token>/", invitations.accept, name="invitation-accept"),
    # Passkeys: django-otp-webauthn's JSON ceremony endpoints (registration needs a signed-in user).
    path("webauthn/", include((passkeys.urlpatterns, "otp_webauthn"))),
    path("", gateways.gateway_list, name="gateway-list"),
    path("import/", gateways.gateway_import, name="gateway-import"),
    path("import/save/", gateways.gateway_import_save, name="gateway-import-save"),
    path(gw, gateways.gateway_detail, name="gateway-detail"),
    *[
        path(f"{gw}{tab}/", gateways.gateway_detail, {"tab": tab}, name=f"gateway-{tab}")
        for tab in gateways.TABS
        if tab != "overview"
    ],
    path(f"{gw}agents/<str:agent_id>/", agents.agent_detail, name="agent-detail"),
    path(f"{gw}connection/", connection.gateway_connection, name="gateway-connection"),
    path(f"{gw}connection/credentials/", connection.gateway_credentials, name="gateway-credentials"),
    path(f"{gw}connection/config-push/", connection.gateway_config_push, name="gateway-config-push"),
    path(f"{gw}config/import/", gateways.gateway_reimport, name="gateway-reimport"),
    path(f"{gw}config/history/", configs.config_history, name="config-history"),
    path(f"{gw}config/revisions/<int:number>/", configs.config_revision, name="config-revision"),
    path(f"{gw}config/revisions/<int:number>/rollback/", configs.config_rollback, name="config-rollback"),
    path(f"{gw}config/diff/", configs.config_diff, name="config-diff"),
    path(f"{gw}config/edit/", configs.config_edit, name="config-edit"),
    path(f"{gw}config/edit/validate/", configs.config_validate, name="config-validate"),
    path(f"{gw}config/form/", configs.config_form, name="config-form"),
    path(f"{gw}config/review/", configs.config_review, name="config-review"),
    path(f"{gw}config/save/", configs.config_save, name="config-save"),
    path(f"{gw}config/live/", configs.config_live, name="config-live"),
    path(f"{gw}config/live/push/", configs.config_push, name="config-push"),
    path(f"{gw}config/live/adopt/", configs.config_adopt, name="config-adopt"),
    path(f"{gw}config/export/", gateways.gateway_export, name="gateway-export"),
    path(f"{gw}delete/", gateways.gateway_delete_view, name="gateway-delete"),
    path(f"{gw}devices/<uuid:device_code>/revoke/", devices.device_revoke_view, name="device-revoke"),
    path(f"{gw}devices/<uuid:device_code>/rotate/", devices.device_rotate_view, name="device-rotate"),
    path(f"{gw}devices/<uuid:device_code>/rename/", devices.device_rename_view, name="device-rename"),
    path(f"{gw}devices/clean-up/", devices.devices_clean_up_view, name="devices-clean-up"),
    path(f"{gw}activity/export.<str:fmt>", gateways.activity_export, name="activity-export"),
    path(f"{gw}memory/manifests/", memory.manifest_set, name="memory-manifest-set"),
    path(f"{gw}memory/policy/", memory.sandbox_policy_set, name="memory-policy-set"),
    path(f"{gw}memory/workloads/", memory.workload_save, name="memory-workload-set"),
    path(f"{gw}audit/start/", audits.audit_start, name="audit-start"),
    path(f"{gw}audit/suppressions/", audits.suppression_add, name="suppression-add"),
    path(f"{gw}audit/suppressions/<int:pk>/remove/", audits.suppression_remove, name="suppression-remove"),
    path(f"{gw}audit/schedule/", audits.audit_schedule, name="audit-schedule"),
    path("audits/", audits.audit_fleet, name="audit-fleet"),
    path("audits/fleet/start/", audits.audit_fleet_start, name="audit-fleet-start"),
    path("fleet/changes/new/", fleet.fleet_change_new, name="fleet-change-new"),
    path("fleet/changes/<uuid:code>/", fleet.fleet_change, name="fleet-change"),
    path("fleet/changes/<uuid:code>/apply/", fleet.fleet_change_apply_view, name="fleet-change-apply"),
    path("audits/<uuid:code>/", audits.audit_run, name="audit-run"),
    path("audits/<uuid:code>/export.<str:fmt>", audits.audit_export, name="audit-export"),
    path("audits/<uuid:code>/fixes/", audits.audit_fixes, name="audit-fixes"),
    path(f"{gw}members/", members.member_list, name="member-list"),
    path(f"{gw}members/<int:pk>/remove/", members.member_remove, name="member-remove"),
    path(f"{gw}members/invite/", members.member_invite, name="member-invite"),
    path(
        f"{gw}members/invitations/<int:pk>/revoke/", members.invitation_revoke_view, name="invitation-revoke"
    ),
    path(f"{gw}members/tags/", members.gateway_tags, name="gateway-tags"),
    path("approvals/", approvals.inbox, name="approvals-inbox"),
    path("approvals/badge/", approvals.badge, name="approvals-badge"),
    path("approvals/pairing/<uuid:code>/", approvals.pairing_detail, name="pairing-detail"),
    path("approvals/pairing/<uuid:code>/decide/", approvals.pairing_decide, name="pairing-decide"),
    path("approvals/exec/<uuid:code>/", approvals.exec_detail, name="exec-detail"),
    path("approvals/exec/<uuid:code>/decide/", approvals.exec_decide, name="exec-decide"),
    path("reauth/", approvals.reauth, name="reauth"),
    path("alerts/", alerts.alert_list, name="alert-list"),
    path(f"{gw}alerts/<int:pk>/", alerts.alert_detail, name="alert-detail"),
    path(f"{gw}alerts/<int:pk>/ack/", alerts.alert_ack, name="alert-ack"),
    path(f"{gw}alerts/<int:pk>/resolve/", alerts.alert_resolve_view, name="alert-resolve"),
    path(f"{gw}alerts/silence/", alerts.alert_silence, name="alert-silence"),
    path(f"{gw}alerts/memory/", alerts.alert_memory, name="alert-memory"),
    path(f"{gw}alerts/tokens/", alerts.ingest_tokens, name="ingest-tokens"),
    path(f"{gw}alerts/tokens/<int:pk>/revoke/", alerts.ingest_token_revoke_view, name="ingest-token-revoke"),
    path("api/v1/gateways/<uuid:code>/events", ingest.ingest_events_view, name="api-ingest-events"),
    path("once/", once.secret_once, name="secret-once"),
    path("docs/ingest/", docs.ingest_formats, name="docs-ingest"),
    path("favicon.ico", docs.favicon, name="favicon"),
    path("account/", account.overview, name="account"),
    path("account/password/", account.password_change, name="account-password"),
    path("account/two-factor/", account.two_factor, name="account-two-factor"),
    path("account/people/", account.people, name="account-people"),
    path("account/tokens/", account.api_tokens, name="account-tokens"),
    path("account/tokens/<int:pk>/revoke/", account.api_token_revoke_view, name="account-token-revoke"),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
    # Notifications: a gateway's receivers and routes (its owners edit), the global ones (superusers).
    *[
        p
        for prefix, name in ((f"{gw}notifications/", "notify-"), ("notifications/", "notify-global-"))
        for p in (
            path(prefix, notify.notify_home, name=f"{name}home"),
            path(f"{prefix}receivers/new/", notify.receiver_new, name=f"{name}receiver-new"),
            path(f"{prefix}receivers/<int:pk>/", notify.receiver_detail, name=f"{name}receiver"),
            path(
                f"{prefix}receivers/<int:pk>/<str:action>/",
                notify.receiver_action,
                name=f"{name}receiver-action",
            ),
            path(f"{prefix}routes/new/", notify.route_edit, name=f"{name}route-new"),
            path(f"{prefix}routes/<int:pk>/", notify.route_edit, name=f"{name}route"),
            path(f"{prefix}routes/<int:pk>/<str:action>/", notify.route_action, name=f"{name}route-action"),
        )
    ],
    path(f"{gw}notifications/preview/", notify.preview, name="notify-preview"),
    path("account/notifications/", notify.account_notifications, name="account-notifications"),
    path("account/notifications/subscriptions/", notify.subscription_add_view, name="notify-subscribe"),
    path(
        "account/notifications/subscriptions/<int:pk>/remove/",
        notify.subscription_remove_view,
        name="notify-unsubscribe",
    ),
    path("account/notifications/browsers/", notify.push_subscribe_view, name="push-subscribe"),
    path(
        "account/notifications/browsers/<int:pk>/<str:action>/", notify.push_action_view, name="push-action"
    ),
    path("notify-sw.js", notify.service_worker, name="notify-service-worker"),
    path("api/v1/gateways/", api.gateways, name="api-gateways"),
    path("api/v1/gateways/new/", api.gateway_create, name="api-gateway-create"),
    path("api/v1/gateways/<uuid:code>/", api.gateway, name="api-gateway"),
    path("api/v1/gateways/<uuid:code>/config/", api.gateway_config, name="api-gateway-config"),
    path("api/v1/gateways/<uuid:code>/config/revisions/", api.config_revisions, name="api-config-revisions"),
    path(
        "api/v1/gateways/<uuid:code>/config/revisions/<int:number>/",
        api.config_revision,
        name="api-config-revision",
    ),
    path(
        "api/v1/gateways/<uuid:code>/config/revisions/<int:number>/rollback/",
        api.config_rollback,
        name="api-config-rollback",
    ),
    path("api/v1/gateways/<uuid:code>/config/diff/", api.config_diff, name="api-config-diff"),
    path("api/v1/gateways/<uuid:code>/config/drift/", api.config_drift, name="api-config-drift"),
    path("api/v1/config/validate/", api.config_validate, name="api-config-validate"),
    path("api/v1/gateways/<uuid:code>/audits/", api_workflows.gateway_audits, name="api-gateway-audits"),
    path("api/v1/audits/<uuid:code>/", api_workflows.audit_report, name="api-audit-report"),
    path("api/v1/approvals/", api_workflows.approvals, name="api-approvals"),
    path("api/v1/approvals/<uuid:code>/decision/", api_workflows.approval_decide, name="api-approval-decide"),
    path("api/v1/alerts/", api_workflows.alerts, name="api-alerts"),
    path("api/v1/alerts/<int:pk>/acknowledge/", api_workflows.alert_acknowledge_api, name="api-alert-ack"),
    path("api/v1/alerts/<int:pk>/resolve/", api_workflows.alert_resolve_api, name="api-alert-resolve"),
]

handler400 = "controlpanel.views.errors.bad_request"
handler403 = "controlpanel.views.errors.permission_denied"
handler404 = "controlpanel.views.errors.not_found"
handler500 = "controlpanel.views.errors.server_error"
