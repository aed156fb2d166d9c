/* The service worker: the app shell offline. Served as /sw.js (scope: the whole site) by inspect_app/field/web.py.

   - OFFLINE_PAGES are kept in the cache and served from it when the network fails, or when the server cannot
     serve them for now (502, 503, 504: restarting, or its database away; the page then says so at its top)
     (network first, so a page is as fresh as the last visit with a connection). The filing page is one; the
     assessment checklist adds its own path here (e.g. "/rounds/"-prefixed pages: add a prefix to OFFLINE_PREFIXES). Only those the user may open
     are kept: the page registers the worker as /sw.js?keep=<paths> (its <body data-sw>, from the server's
     field.OFFLINE_ENDPOINTS), so a unit's clerk, who may not file, never fetches the filing page (a 403). Their CSS, JS and images
     (/static/, /favicon.ico) are cached when fetched and when a page is cached (its <link>/<script> URLs, and the
     scripts it loads only when used, named in data-js-* attributes, are read from its HTML), so the page works
     offline, its on-demand parts included.
   - Any other page, offline, gets /offline (a short explanation with a link to the filing page).
   - Data the offline pages read (DATA_URLS, e.g. the segment map) is network first, cache as fallback (the same
     way).
   - Posts are never touched: the pages themselves queue what they could not send (offline-queue.js).
   - Logging out (landing on /login) empties the cache: pages of the last user never outlive their session.
   Bump VERSION when this file's lists change; old caches are dropped on activation. */
"use strict";
var VERSION = "v3";
var CACHE = "inspect-shell-" + VERSION;
var KEEP = (new URL(self.location.href).searchParams.get("keep") || "").split(" ");
var OFFLINE_PAGES = ["/tickets/new", "/patrols/checkin"].filter(function (path) { return KEEP.indexOf(path) >= 0; });
var OFFLINE_PREFIXES = [];
var DATA_URLS = ["/segments/map.json"];
var FALLBACK = "/offline";

function unavailable(response) {  // the server is there but cannot answer for now: a kept copy does better
  return response.status === 502 || response.status === 503 || response.status === 504;
}

var AWAY = '<p class="alert warn sw-away" role="status">服务器暂时无法处理请求（正在重启或数据库暂时无法访问）：' +
  '这是手机上保存的页面，可以先拍照、填写上报，稍后再提交。</p>';

function kept(path, response) {  // the cached copy of `path`, saying the server is away; else the server's answer
  return caches.match(path).then(function (hit) {
    if (!hit) return response;
    if ((hit.headers.get("Content-Type") || "").indexOf("text/html") !== 0) return hit;
    return hit.text().then(function (html) {
      return new Response(html.replace(/(<main[^>]*>)/, "$1" + AWAY), { status: 200, headers: hit.headers });
    });
  });
}

function isOfflinePage(path) {
  return OFFLINE_PAGES.indexOf(path) >= 0 || OFFLINE_PREFIXES.some(function (p) { return path.indexOf(p) === 0; });
}

function assetsOf(html) {  // its <link href>, <script src>, and the scripts it loads on use (data-js-*="url url")
  var urls = [], re = /(?:href|src|data-js-[a-z]+)="([^"]+)"/g, m;
  while ((m = re.exec(html))) {
    m[1].replace(/&amp;/g, "&").split(" ").forEach(function (url) {
      if (url.indexOf("/static/") === 0 || url === "/favicon.ico") urls.push(url);
    });
  }
  return urls;
}

function cachePage(cache, url) {
  return fetch(url, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok || response.redirected) return null;
    return response.clone().text().then(function (html) {
      return Promise.all([cache.put(url, response)].concat(assetsOf(html).map(function (a) {
        return cache.match(a).then(function (hit) { return hit || cache.add(a).catch(function () {}); });
      })));
    });
  }).catch(function () { return null; });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all([FALLBACK].concat(OFFLINE_PAGES).map(function (url) { return cachePage(cache, url); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("inspect-shell-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  var path = url.pathname;

  if (request.mode === "navigate") {
    if (path === "/login") {  // logged out (or never in): nothing of anyone's pages stays on the phone
      event.waitUntil(caches.delete(CACHE));
      return;
    }
    if (isOfflinePage(path)) {
      event.respondWith(fetch(request).then(function (response) {
        if (unavailable(response)) return kept(path, response);
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) {
            cache.put(path, copy.clone());
            copy.text().then(function (html) {
              assetsOf(html).forEach(function (a) { cache.match(a).then(function (hit) { if (!hit) cache.add(a).catch(function () {}); }); });
            });
          });
        }
        return response;
      }).catch(function () {
        return caches.match(path).then(function (hit) { return hit || caches.match(FALLBACK); });
      }));
      return;
    }
    event.respondWith(fetch(request).catch(function () {
      return caches.match(FALLBACK).then(function (hit) {
        return hit || new Response("当前没有网络连接。", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
      });
    }));
    return;
  }

  if (path.indexOf("/static/") === 0 || path === "/favicon.ico") {  // versioned (?v=): cache first
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) { var copy = response.clone(); caches.open(CACHE).then(function (c) { c.put(request, copy); }); }
        return response;
      });
    }));
    return;
  }

  if (DATA_URLS.indexOf(path) >= 0) {
    event.respondWith(fetch(request).then(function (response) {
      if (unavailable(response)) return kept(path, response);
      if (response.ok) { var copy = response.clone(); caches.open(CACHE).then(function (c) { c.put(path, copy); }); }
      return response;
    }).catch(function () { return caches.match(path).then(function (hit) { return hit || Response.error(); }); }));
  }
});
