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

  // At a desk the side navigation scrolls by itself; it opens with the current page's item in
  // view, in the middle (app.css asks the browser for it with scroll-initial-target; this does it
  // where the browser does not know that). Hidden on a phone, it has no height and is left alone.
  var sidenav = document.querySelector(".sidenav");
  var current = sidenav && sidenav.querySelector("a[aria-current=page]");
  if (current && sidenav.scrollHeight > sidenav.clientHeight) {
    var top = current.offsetTop, bottom = top + current.offsetHeight;
    if (top < sidenav.scrollTop || bottom > sidenav.scrollTop + sidenav.clientHeight) {
      sidenav.scrollTop = top - (sidenav.clientHeight - current.offsetHeight) / 2;
    }
  }

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

  // Live updates on pages that ask for them (<body data-live="/api/v1/events">, Page.Live):
  // Server-Sent Events of the user's own account. EventSource reconnects by itself and sends
  // the last event id it saw, so the server replays what was missed meanwhile.
  //  - "notification": the 消息 badges count the notifications that arrived while the page is
  //    open (not on the 消息 page itself, whose list reloads instead);
  //  - an element with data-live-subject="order:123" (subjects, space-separated) refreshes when
  //    an event names one of them, and one with data-live-kind="notification" when an event of
  //    that kind arrives: with htmx it is sent the "live" trigger (give it hx-get and
  //    hx-trigger="live"), without htmx the page's [data-live-stale] notice is shown. With
  //    data-live-gap="MS" it is sent the trigger at most once every MS milliseconds, and the
  //    last event of a burst is never dropped (a board whose area changes all the time); kept
  //    by the element's id, since a refresh replaces the element.
  //  EventSource hears only the kinds it listens to: "notification", every data-live-kind on
  //  the page, and for a subject "noun:id" the kind "noun.changed", the convention features
  //  publish under.
  //  - every event is also dispatched on document as "gongzhi:live" (detail: the event's JSON).
  var liveURL = document.body.getAttribute("data-live");
  if (liveURL && window.EventSource) {
    var unread = 0;
    var words = function (el, name) { return (el.getAttribute(name) || "").split(/\s+/).filter(Boolean); };
    var trigger = function (el) {
      if (window.htmx && el.hasAttribute("hx-get")) {
        window.htmx.trigger(el, "live");
        return;
      }
      document.querySelectorAll("[data-live-stale]").forEach(function (n) { n.hidden = false; });
    };
    var lastSent = {}, waiting = {};
    var refresh = function (el) {
      var gap = parseInt(el.getAttribute("data-live-gap") || "0", 10);
      if (!(gap > 0) || !el.id) {
        trigger(el);
        return;
      }
      var id = el.id;
      if (waiting[id]) return; // a refresh is due: it shows this change too
      waiting[id] = true;
      setTimeout(function () {
        waiting[id] = false;
        lastSent[id] = Date.now();
        var now = document.getElementById(id); // the element may have been replaced meanwhile
        if (now) trigger(now);
      }, Math.max(0, (lastSent[id] || 0) + gap - Date.now()));
    };
    var onEvent = function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev.kind === "notification") {
        document.querySelectorAll("[data-unread-badge]").forEach(function (b) {
          var link = b.closest("a");
          if (link && link.getAttribute("aria-current") === "page") return;
          b.hidden = false;
          var count = b.querySelector("[data-unread-count]");
          if (count) count.textContent = String(unread + 1);
        });
        unread++;
      }
      document.querySelectorAll("[data-live-subject], [data-live-kind]").forEach(function (el) {
        if ((ev.subject && words(el, "data-live-subject").indexOf(ev.subject) >= 0) || words(el, "data-live-kind").indexOf(ev.kind) >= 0) {
          refresh(el);
        }
      });
      document.dispatchEvent(new CustomEvent("gongzhi:live", { detail: ev }));
    };
    var kinds = { notification: true };
    document.querySelectorAll("[data-live-kind]").forEach(function (el) {
      words(el, "data-live-kind").forEach(function (k) { kinds[k] = true; });
    });
    document.querySelectorAll("[data-live-subject]").forEach(function (el) {
      words(el, "data-live-subject").forEach(function (s) {
        var i = s.indexOf(":");
        if (i > 0) kinds[s.slice(0, i) + ".changed"] = true;
      });
    });
    var source = new EventSource(liveURL);
    Object.keys(kinds).forEach(function (k) { source.addEventListener(k, onEvent); });
    // <body data-live-open> while the stream is connected (styles and browser tests use it).
    source.addEventListener("open", function () { document.body.setAttribute("data-live-open", ""); });
    source.addEventListener("error", function () { document.body.removeAttribute("data-live-open"); });
    // Leaving the page closes the stream at once, so it does not hold one of the browser's
    // few connections to the site while the next page loads.
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // A print button (the certificate of service hours): the browser's print dialog; without
  // JavaScript the button is hidden and the browser's own menu prints the page.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
