// Live alerts over a WebSocket: connection state, reconnect with capped exponential backoff and full
// jitter, replay from the last seen id, dedupe by id, the live list (kept in state and severity order),
// the "N new" count and one toast chip (research/ux-security.md §3).
//
// The chip: at most one at a time. A newer event replaces it only if it is more severe, so a burst of
// warnings cannot hide a critical one, and a critical one always gets through (it also replaces an
// older critical one: the newest critical is shown). Events that do not replace the chip are counted on
// it ("+3 more"). There is no per-session cap: nothing is silenced by earlier toasts. Critical chips
// stay until dismissed; others go after a while. Every chip names its gateway.
//
// Fragments come from the server's auto-escaped templates; text we build here goes through textContent.
(function () {
  "use strict";
  var BASE_MS = 500, CAP_MS = 30000, TOAST_MS = 10000, RESYNC_MS = 25000;
  var AUTH_CODES = { 4401: true, 4403: true };
  var KEY = "cp-alerts-last-id";
  var RANK = { info: 0, warning: 1, critical: 2 };
  var STATE_RANK = { firing: 0, acknowledged: 1, resolved: 2 };
  var root, state, attempt = 0, socket = null, seen = {}, unseen = 0, offlineSince = null, resync = null;
  var chip = null;  // {el, rank, more, timer}
  // The first connection of a browser session replays history: that is not "new" to this person.
  var quietBackfill = !sessionStorage.getItem(KEY);

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

  // Where an item goes: open before resolved, critical before warning, newest first within a group.
  function order(el) {
    return [STATE_RANK[el.dataset.state] === undefined ? 3 : STATE_RANK[el.dataset.state],
            -(RANK[el.dataset.severity] || 0)];
  }
  function insertInOrder(list, item) {
    var key = order(item), children = list.querySelectorAll(":scope > .alert-item");
    for (var i = 0; i < children.length; i++) {
      var other = order(children[i]);
      if (other[0] > key[0] || (other[0] === key[0] && other[1] >= key[1])) {
        list.insertBefore(item, children[i]);
        return;
      }
    }
    list.appendChild(item);
  }

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
    if (old) old.remove();
    if (list.dataset.firingOnly === "true" && item.dataset.state !== "firing") return;
    insertInOrder(list, item);
    var empty = document.getElementById("alert-list-empty");
    if (empty) empty.remove();
    item.classList.add("alert-new");
    if (window.htmx) window.htmx.process(item);
  }

  function dismiss() {
    if (!chip) return;
    clearTimeout(chip.timer);
    chip.el.remove();
    chip = null;
  }

  function fill(el, msg) {
    el.textContent = "";
    el.className = "toast toast-" + (msg.severity || "info");
    el.setAttribute("role", msg.severity === "critical" ? "alert" : "status");
    var body = document.createElement("div");
    body.className = "toast-body";
    var sev = document.createElement("div");
    sev.className = "toast-sev";
    sev.textContent = (msg.severity || "info") + (msg.kind === "escalated" ? " (escalated)" : "");
    var what = document.createElement("div");
    what.className = "toast-title";
    what.textContent = msg.title + " on " + (msg.gateway_name || "a gateway");
    var more = document.createElement("div");
    more.className = "toast-more";
    var link = document.createElement("a");
    link.href = "/alerts/";
    link.textContent = "Open alerts";
    body.appendChild(sev);
    body.appendChild(what);
    body.appendChild(more);
    body.appendChild(link);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", dismiss);
    el.appendChild(body);
    el.appendChild(close);
  }

  function toast(msg) {
    var box = document.getElementById("alert-toasts");
    if (!box) return;
    var rank = RANK[msg.severity] || 0;
    if (chip && !(rank > chip.rank || rank === RANK.critical)) {
      chip.more += 1;
      chip.el.querySelector(".toast-more").textContent = "+" + chip.more + " more since";
      return;
    }
    var more = chip ? chip.more + 1 : 0;
    if (chip) clearTimeout(chip.timer);
    var el = chip ? chip.el : document.createElement("div");
    fill(el, msg);
    if (!chip) box.appendChild(el);
    chip = { el: el, rank: rank, more: more, timer: null };
    if (more) el.querySelector(".toast-more").textContent = "+" + more + " more since";
    if (rank < RANK.critical) chip.timer = setTimeout(dismiss, TOAST_MS);
  }

  function handle(msg, live) {
    if (!msg.id || seen[msg.id]) return;
    seen[msg.id] = true;
    remember(msg.id);
    place(msg);
    if ((msg.kind === "created" || msg.kind === "escalated") && (live || !quietBackfill)) {
      unseen += 1;
      var badge = document.getElementById("alert-badge-number");
      if (badge) {
        badge.textContent = String(unseen);
        badge.parentElement.hidden = false;
        badge.parentElement.title = unseen + " new alert" + (unseen === 1 ? "" : "s") + " since this page opened";
      }
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
        quietBackfill = false;
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
