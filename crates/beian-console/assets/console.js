// beian console: small improvements over the pages, which all work without this file.
// Copy buttons (the footer snippet), upload progress. No inline handlers: the CSP forbids them.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-copy]");
    if (!b) { return; }
    var src = document.getElementById(b.getAttribute("data-copy"));
    if (!src || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(src.textContent).then(function () {
      b.setAttribute("data-copied", "1");
      var done = b.getAttribute("data-done");
      if (done) { b.textContent = done; }
    });
  });
  // A form marked data-progress shows its upload's progress in the <progress> it names.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var barId = form.getAttribute && form.getAttribute("data-progress");
    if (!barId || !window.XMLHttpRequest || !window.FormData) { return; }
    var bar = document.getElementById(barId);
    if (!bar) { return; }
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (p) {
      if (p.lengthComputable) { bar.max = p.total; bar.value = p.loaded; }
    });
    xhr.addEventListener("load", function () {
      // The server answers with the page to show (after a redirect): replace the document.
      document.open(); document.write(xhr.responseText); document.close();
      if (xhr.responseURL) { history.replaceState(null, "", xhr.responseURL); }
    });
    xhr.addEventListener("error", function () { form.submit(); });
    xhr.send(new FormData(form));
  });
})();
