// After django-otp-webauthn registers a passkey, reload the account page so the list shows it.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () { window.location.reload(); });
})();
