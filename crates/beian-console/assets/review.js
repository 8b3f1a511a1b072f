// The review page and queue without the mouse: keys named on each button (data-key), j/k to
// move through the queue, zoom and rotate for document images. Everything works without it.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var key = e.key;
    var target = document.querySelector('[data-key="' + key + '"]');
    if (target) {
      e.preventDefault();
      target.focus();
      target.click();
      return;
    }
    if (key === "q") {
      var back = document.getElementById("back-to-queue");
      if (back) { e.preventDefault(); back.click(); }
    }
  });
  // Zoom and rotate the document images.
  document.querySelectorAll(".img-tools").forEach(function (tools) { tools.hidden = false; });
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("[data-zoom],[data-rotate]") : null;
    if (!b) return;
    var img = document.getElementById(b.getAttribute("data-zoom") || b.getAttribute("data-rotate"));
    if (!img) return;
    if (b.hasAttribute("data-zoom")) {
      img.classList.toggle("zoomed");
    } else {
      var turn = (parseInt(img.getAttribute("data-turn") || "0", 10) + 90) % 360;
      img.setAttribute("data-turn", String(turn));
      img.className = img.className.replace(/\bturn-\d+\b/g, "").trim() + (turn ? " turn-" + turn : "");
    }
  });
})();
