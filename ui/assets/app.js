// weft UI: the few behaviours htmx does not cover. No framework, no build step.
(function () {
  "use strict";

  // "Scheduled in": every element with data-until counts down to that instant.
  function fmt(ms) {
    if (ms <= 0) return "due now";
    var s = Math.round(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    if (h > 0) return "in " + h + " h " + m + " min";
    if (m > 0) return "in " + m + " min " + s + " s";
    return "in " + s + " s";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-until]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("data-until"));
      if (!isNaN(t)) el.textContent = fmt(t - now);
    });
  }
  setInterval(tick, 1000);

  // A run's outcome, live: the panel names its event stream in data-events.
  // within returns root's elements matching sel, root itself included (htmx:load
  // names the new element itself).
  function within(root, sel) {
    var out = Array.prototype.slice.call(root.querySelectorAll(sel));
    if (root.matches && root.matches(sel)) out.unshift(root);
    return out;
  }

  function follow(root) {
    within(root, "[data-events]").forEach(function (panel) {
      var url = panel.getAttribute("data-events");
      panel.removeAttribute("data-events");
      var status = panel.querySelector(".job-status");
      var es = new EventSource(url);
      es.addEventListener("status", function (e) { if (status) status.textContent = e.data; });
      // Each module as it finishes: a list row rendered (and escaped) by the server.
      var modules = panel.querySelector(".job-modules");
      es.addEventListener("module", function (e) { if (modules) modules.insertAdjacentHTML("beforeend", e.data); });
      es.addEventListener("outcome", function (e) {
        es.close();
        panel.innerHTML = e.data;
        panel.classList.add("done");
        if (window.htmx) window.htmx.process(panel);
      });
      es.onerror = function () {
        if (es.readyState === EventSource.CLOSED && status) status.textContent = "connection lost; reload the page to see the outcome";
      };
    });
  }

  // A bulk retry or delete, live: the server renders the progress panel at each change
  // ("progress") and once more when the job has ended ("done").
  function followBulk(root) {
    within(root, "[data-bulk-events]").forEach(function (panel) {
      var url = panel.getAttribute("data-bulk-events");
      panel.removeAttribute("data-bulk-events");
      var es = new EventSource(url);
      es.addEventListener("progress", function (e) { panel.innerHTML = e.data; });
      es.addEventListener("done", function (e) {
        es.close();
        panel.innerHTML = e.data;
        panel.classList.add("done");
      });
      es.onerror = function () {
        if (es.readyState === EventSource.CLOSED) panel.insertAdjacentHTML("beforeend", "<p class=\"muted small\">connection lost; reload the page to see where the job stands</p>");
      };
    });
  }

  // Bulk selection: a page checkbox ticks every row; "select all matching" selects
  // every incomplete execution the filter matches, on every page.
  function selection(root) {
    within(root, "[data-select-page]").forEach(function (box) {
      if (box.dataset.bound) return;
      box.dataset.bound = "1";
      box.addEventListener("change", function () {
        var form = box.closest("form");
        form.querySelectorAll("input[name=id]").forEach(function (c) { c.checked = box.checked; });
        var banner = form.querySelector("[data-select-all-banner]");
        if (banner) banner.hidden = !box.checked;
        if (!box.checked) setAll(form, false);
      });
    });
    within(root, "[data-select-all]").forEach(function (btn) {
      if (btn.dataset.bound) return;
      btn.dataset.bound = "1";
      btn.addEventListener("click", function (e) {
        e.preventDefault();
        setAll(btn.closest("form"), true);
      });
    });
  }
  function setAll(form, on) {
    var all = form.querySelector("input[name=all]");
    if (all) all.value = on ? "1" : "";
    var note = form.querySelector("[data-all-note]");
    if (note) note.hidden = !on;
  }

  // The editor's picker: a reference goes in at the cursor of the form field the
  // person was last in (text inputs and text areas of the module form).
  var lastField = null, lastStart = 0, lastEnd = 0;
  document.addEventListener("focusout", function (e) {
    var el = e.target;
    if (el && el.closest && el.closest("[data-picker-target]") && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text"))) {
      lastField = el; lastStart = el.selectionStart; lastEnd = el.selectionEnd;
    }
  });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("button.pick[data-ref]") : null;
    if (!btn) return;
    var ref = btn.getAttribute("data-ref");
    if (!lastField || !document.body.contains(lastField)) {
      if (navigator.clipboard) navigator.clipboard.writeText(ref);
      btn.classList.add("copied");
      return;
    }
    var v = lastField.value;
    lastField.value = v.slice(0, lastStart) + ref + v.slice(lastEnd);
    lastStart = lastEnd = lastStart + ref.length;
    lastField.focus();
    lastField.setSelectionRange(lastStart, lastEnd);
  });

  // Times in the viewer's time zone: the server writes UTC into <time data-local>;
  // date filters learn the browser's offset so their days are the viewer's days.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localTimes(root) {
    within(root, "time[data-local]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
      el.title = el.getAttribute("datetime") + " (UTC); shown in your time zone";
      el.removeAttribute("data-local");
    });
    within(root, "input[data-tz]").forEach(function (el) {
      if (!el.value) el.value = String(new Date().getTimezoneOffset());
    });
  }

  function init(root) { follow(root); followBulk(root); selection(root); localTimes(root); tick(); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
