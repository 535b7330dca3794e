// gongzhi's service worker: the app shell offline, never personal data.
//
// Served at /sw.js so that it controls every page of the site. The server puts "use strict" and
// three constants in front of this file at start (internal/web/static.go):
//   SHELL   the hashed URLs of every static file (stylesheet, scripts, icons, manifest, offline page)
//   OFFLINE the hashed URL of the offline page
//   CACHE   the cache's name, which changes whenever a static file does
//
// Pages and API answers are network only: they hold residents' data, which must not stay on a
// phone that may be lost or shared. A page that cannot be fetched is answered with the offline
// page, which says so in Chinese.

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

// A new version drops the caches of the old ones and takes over the open pages at once.
self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("gongzhi-") === 0 && n !== CACHE; })
          .map(function (n) { return caches.delete(n); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    // A page (or a form sent as one): from the network; the offline page when there is none.
    event.respondWith(fetch(req).catch(function () {
      return caches.match(OFFLINE).then(function (r) { return r || Response.error(); });
    }));
    return;
  }
  if (req.method === "GET" && SHELL.indexOf(url.pathname) >= 0) {
    // Hashed URLs never change their content: the cached copy is the right one.
    event.respondWith(caches.match(req).then(function (r) { return r || fetch(req); }));
  }
  // Everything else (API calls, htmx requests, exports) is left to the network, uncached.
});
