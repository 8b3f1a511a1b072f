// beian console, the application form: small improvements over a form that works without this
// file. (1) Unsaved input is kept in this browser (localStorage) until the server has the draft,
// so a reload or a lost connection loses nothing. (2) A county kept across a refresh of the
// county list (htmx) when it is still offered. No inline handlers: the CSP forbids them.
(function () {
  "use strict";
  var form = document.getElementById("application-form");
  if (!form) { return; }
  var store;
  try { store = window.localStorage; } catch (e) { store = null; }
  var key = form.getAttribute("data-draft-key");
  var prefix = "beian-application:";
  var path = location.pathname;

  function values() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (e) {
      if (!e.name || e.name === "csrf" || e.name === "action" || e.type === "hidden") { return; }
      if (e.type === "checkbox") { out[e.name] = e.checked ? "on" : ""; } else { out[e.name] = e.value; }
    });
    return out;
  }

  if (store && key) {
    // The server answered a submission of this form: what was kept for it is now saved there.
    var pending = store.getItem(prefix + "pending");
    if (pending && pending !== path + "#" + key) {
      store.removeItem(prefix + pending);
      store.removeItem(prefix + "pending");
    }
    var kept = store.getItem(prefix + path + "#" + key);
    if (kept) {
      var data = null;
      try { data = JSON.parse(kept); } catch (e) { data = null; }
      if (data) {
        var changed = false;
        Object.keys(data).forEach(function (name) {
          var e = form.elements.namedItem(name);
          if (!e || e.length > 1 && !e.tagName) { return; }
          if (e.type === "checkbox") {
            if (e.checked !== (data[name] === "on")) { e.checked = data[name] === "on"; changed = true; }
          } else if (e.value !== data[name]) {
            if (e.tagName === "SELECT" && !Array.prototype.some.call(e.options, function (o) { return o.value === data[name]; })) { return; }
            e.value = data[name];
            changed = true;
          }
        });
        if (changed) {
          var note = document.createElement("p");
          note.className = "alert info";
          note.setAttribute("role", "status");
          note.textContent = form.getAttribute("data-restored");
          form.parentNode.insertBefore(note, form);
        }
      }
    }
    var save = function () {
      try { store.setItem(prefix + path + "#" + key, JSON.stringify(values())); } catch (e) { /* full */ }
    };
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () {
      try { store.setItem(prefix + "pending", path + "#" + key); } catch (e) { /* full */ }
    });
  }

  // Keep the chosen county when its list is replaced, if it is still offered.
  var district = null;
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var d = document.getElementById("region-district");
    district = d ? d.value : null;
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    var d = document.getElementById("region-district");
    if (!d || !district || d.value === district) { return; }
    if (Array.prototype.some.call(d.options, function (o) { return o.value === district; })) { d.value = district; }
  });
})();
