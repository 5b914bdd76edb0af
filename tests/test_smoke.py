def test_settings_load(settings):
    assert "controlpanel" in settings.INSTALLED_APPS
