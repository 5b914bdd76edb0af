/* "Notify me in this browser": registers the service worker, subscribes with the panel's VAPID key
   and sends the subscription to the panel. Without JavaScript or Web Push the page says so. */
"use strict";

(function () {
  const control = document.getElementById("push-control");
  if (!control) return;
  const state = document.getElementById("push-state");
  const button = document.getElementById("push-subscribe");

  function say(text) { state.textContent = text; }

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(padded);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  async function send(subscription) {
    const response = await fetch(control.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": control.dataset.csrf },
      body: JSON.stringify(subscription.toJSON()),
    });
    if (!response.ok) throw new Error("the panel refused the subscription (" + response.status + ")");
  }

  async function subscribe() {
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") { say("Notifications are blocked for this site: allow them in the browser's site settings."); return; }
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(control.dataset.vapidKey),
      });
      await send(subscription);
      say("This browser is subscribed. Reload to see it in the list below.");
      button.hidden = true;
    } catch (error) {
      say("Could not subscribe this browser: " + error.message);
    } finally {
      button.disabled = false;
    }
  }

  async function start() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      say("This browser does not support Web Push.");
      return;
    }
    const registration = await navigator.serviceWorker.register(control.dataset.sw, { scope: "/" });
    control.dataset.ready = "1";
    const existing = await registration.pushManager.getSubscription().catch(() => null);
    if (existing) {
      say("This browser is subscribed.");
      return;
    }
    say("This browser is not subscribed.");
    button.hidden = false;
    button.addEventListener("click", subscribe);
  }

  start().catch((error) => say("Browser notifications are not available here: " + error.message));
})();
