// Live alerts over a WebSocket: connection state, reconnect with capped exponential backoff and full
// jitter, replay from the last seen id, dedupe by id, live list + badge, a few toasts per session.
// Fragments come from the server's auto-escaped templates; text we build here goes through textContent.
(function () {
  "use strict";
  var BASE_MS = 500, CAP_MS = 30000, MAX_TOASTS = 5, TOAST_MS = 8000, RESYNC_MS = 25000;
  var AUTH_CODES = { 4401: true, 4403: true };
  var KEY = "cp-alerts-last-id", TOASTS = "cp-alerts-toasts";
  var root, state, attempt = 0, socket = null, seen = {}, unseen = 0, offlineSince = null, resync = null;

  function lastId() {
    var stored = Number(sessionStorage.getItem(KEY) || 0);
    var list = document.getElementById("alert-list");
    var page = list ? Number(list.dataset.alertsSince || 0) : 0;
    return Math.max(stored, page);
  }
  function remember(id) { if (id > Number(sessionStorage.getItem(KEY) || 0)) sessionStorage.setItem(KEY, String(id)); }

  function setState(name, text) {
    state.dataset.state = name;
    state.textContent = text;
    root.dataset.state = name;
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }

  function place(msg) {
    var list = document.getElementById("alert-list");
    if (!list || (list.dataset.gateway !== "*" && list.dataset.gateway !== msg.gateway)) return;
    var tpl = document.createElement("template");
    tpl.innerHTML = msg.html.trim();
    var item = tpl.content.firstElementChild;
    if (!item) return;
    var old = document.getElementById(item.id);
    // Frames of one alert can arrive out of order (two workers ring their doorbells independently, a
    // backfill can overlap live frames): the rendering of the newest event wins.
    if (old && Number(old.dataset.eventId || 0) > msg.id) return;
    item.dataset.eventId = String(msg.id);
    if (old) old.replaceWith(item); else list.insertBefore(item, list.firstElementChild);
    var empty = document.getElementById("alert-list-empty");
    if (empty) empty.remove();
    item.classList.add("alert-new");
    if (window.htmx) window.htmx.process(item);
  }

  function toast(msg) {
    var shown = Number(sessionStorage.getItem(TOASTS) || 0);
    if (shown >= MAX_TOASTS) return;
    sessionStorage.setItem(TOASTS, String(shown + 1));
    var box = document.getElementById("alert-toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (msg.severity || "info");
    el.setAttribute("role", "status");
    el.textContent = msg.severity + ": " + msg.title + (shown + 1 === MAX_TOASTS ? " (further toasts muted this session)" : "");
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, TOAST_MS);
  }

  function handle(msg, live) {
    if (!msg.id || seen[msg.id]) return;
    seen[msg.id] = true;
    remember(msg.id);
    place(msg);
    if (msg.kind === "created" || msg.kind === "escalated") {
      unseen += 1;
      var badge = document.getElementById("alert-badge-number");
      if (badge) { badge.textContent = String(unseen); badge.parentElement.hidden = false; }
      if (live && msg.notify) toast(msg);
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.alertsWs + "?since=" + lastId());
    socket.onopen = function () {
      attempt = 0; offlineSince = null; setState("live", "Live");
      // Heartbeat and safety net: the channel layer may drop a doorbell under load; asking for
      // everything after the last id every 25 s recovers it (and finds dead connections).
      resync = setInterval(function () {
        if (socket && socket.readyState === 1) socket.send(JSON.stringify({ since: lastId() }));
      }, RESYNC_MS);
    };
    socket.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "alert") handle(msg, true);
      else if (msg.type === "alerts") {
        for (var j = 0; j < msg.events.length; j++) handle(msg.events[j], true);
      }
      else if (msg.type === "backfill") {
        for (var i = 0; i < msg.events.length; i++) handle(msg.events[i], false);
        root.dataset.truncated = msg.truncated ? "true" : "false";
        if (msg.truncated) setState("live", "Live (older alerts missed: reload the list)");
      }
    };
    socket.onclose = function (e) {
      socket = null;
      clearInterval(resync);
      if (AUTH_CODES[e.code]) { setState("offline", "Signed out: live alerts stopped"); return; }
      if (!offlineSince) offlineSince = new Date();
      // Full jitter: sleep = random(0, min(cap, base * 2^attempt)); 4000 = scope changed, retry now.
      var delay = e.code === 4000 ? 0 : Math.random() * Math.min(CAP_MS, BASE_MS * Math.pow(2, attempt));
      attempt += 1;
      setState(attempt > 3 ? "offline" : "reconnecting",
        (attempt > 3 ? "Offline since " : "Reconnecting… (since ") +
        two(offlineSince.getHours()) + ":" + two(offlineSince.getMinutes()) + (attempt > 3 ? "" : ")"));
      setTimeout(connect, delay);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("alert-tray");
    if (!root || !window.WebSocket) return;
    state = document.getElementById("alert-conn");
    setState("connecting", "Connecting…");
    connect();
  });
})();
