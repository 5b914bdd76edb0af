// Small progressive enhancements (the pages work without them):
// - expiry countdowns, counted from the server's clock (not the browser's): each element carries
//   data-expires-at and data-server-now, and the offset between the two clocks is taken at load;
// - copy buttons: <button data-copy="#id"> copies the text of #id (a one-time token, a command).
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

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function copied(button, ok) {
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = ok ? "Copied" : "Selected: press Ctrl+C";
    setTimeout(function () { button.textContent = label; }, 2500);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    var text = source.tagName === "INPUT" || source.tagName === "TEXTAREA" ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copied(button, true); },
        function () { selectText(source); copied(button, false); }
      );
    } else {
      selectText(source);
      copied(button, false);
    }
  });

  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSwap", tick);
})();

// Escape closes an open confirmation (details.confirm); without JavaScript a click outside does.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var open = document.querySelectorAll("details.confirm[open]");
  for (var i = 0; i < open.length; i++) {
    open[i].open = false;
    var summary = open[i].querySelector("summary");
    if (summary) summary.focus();
  }
});
