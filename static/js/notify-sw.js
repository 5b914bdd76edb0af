/* The panel's service worker: shows Web Push notifications and opens their link when clicked.
   A push carries {title, body, url, tag}; the link only locates a page, which asks for login and
   checks the role like any other. */
"use strict";

self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  const title = String(data.title || "OpenClaw panel");
  const options = {
    body: String(data.body || ""),
    tag: String(data.tag || ""),
    data: { url: String(data.url || "/") },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data && event.notification.data.url || "/", self.location.origin);
  // Only the panel's own pages: a push can never send the browser elsewhere.
  const url = target.origin === self.location.origin ? target.href : self.location.origin + "/";
  event.waitUntil(self.clients.openWindow(url));
});
