// Expiry countdowns, counted from the server's clock (not the browser's): each element carries
// data-expires-at and data-server-now, and the offset between the two clocks is taken at load.
(function () {
  "use strict";
  function format(seconds) {
    if (seconds <= 0) return "expired";
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (m >= 60) return "expires in " + Math.floor(m / 60) + " h " + (m % 60) + " min";
    return "expires in " + m + ":" + (s < 10 ? "0" : "") + s;
  }
  function tick() {
    var nodes = document.querySelectorAll("[data-expires-at]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (!el.dataset.offset) {
        el.dataset.offset = String(Date.parse(el.dataset.serverNow) - Date.now());
      }
      var now = Date.now() + Number(el.dataset.offset);
      var left = Math.round((Date.parse(el.dataset.expiresAt) - now) / 1000);
      el.textContent = format(left);
      if (left <= 0) {
        el.classList.add("expired");
        var card = el.closest(".request");
        if (card) {
          var buttons = card.querySelectorAll(".decision-buttons button");
          for (var j = 0; j < buttons.length; j++) buttons[j].disabled = true;
        }
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSwap", tick);
})();
