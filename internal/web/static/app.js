// gongzhi — progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The error summary takes focus so that screen readers announce it; its links focus the
  // field they name and show its label above it (as the GOV.UK error summary does).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (e) {
      var a = e.target.closest("a[href^='#']");
      if (!a) return;
      var input = document.getElementById(a.getAttribute("href").slice(1));
      if (!input || typeof input.focus !== "function") return;
      e.preventDefault();
      var field = input.closest(".field") || input;
      field.scrollIntoView({ block: "start" });
      input.focus({ preventScroll: true });
    });
  }

  // A confirmation (?done=…) is shown once: a reload or a shared link should not repeat it.
  if (window.history.replaceState && /[?&]done=/.test(location.search)) {
    var u = new URL(location.href);
    u.searchParams.delete("done");
    history.replaceState(history.state, "", u.pathname + u.search + u.hash);
  }

  // On a narrow screen the breadcrumb scrolls; show its end, where the reader is.
  var crumbs = document.querySelector(".crumbs");
  if (crumbs) crumbs.scrollLeft = crumbs.scrollWidth;

  // Without htmx, a filter select still applies at once.
  if (!window.htmx) {
    document.querySelectorAll("form.filters select").forEach(function (sel) {
      sel.addEventListener("change", function () { sel.form.requestSubmit ? sel.form.requestSubmit() : sel.form.submit(); });
    });
  }

  // Installed on a phone's home screen, the site keeps its shell (styles, scripts, icons) and
  // shows a clear offline page when the network fails (/sw.js). Pages and data are never cached.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }

  // Long synchronous posts (the import) show their busy message and cannot be sent twice.
  document.querySelectorAll("form[data-busy-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (window.htmx) return; // htmx shows its indicator and disables the button itself
      form.classList.add("is-busy");
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
