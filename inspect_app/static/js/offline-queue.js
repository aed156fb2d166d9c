/* OfflineQueue: submissions kept on the phone (IndexedDB) until they reach the server, so a report filed where
   the signal drops survives a reload or the browser being closed, and is sent once the connection returns.

   Any page can use it (the filing page does, through report.js; the assessment checklist can do the same):

     OfflineQueue.add({kind: "report", url: form.action, user: "12", label: "牛皮癣 · 人民路",
                       fields: [["csrf_token", "…"], ["idempotency_key", "…"], ...],
                       files: [["photos", blob, "photo1.jpg"], ...]})      -> Promise(record)
     OfflineQueue.list(kind?)           -> Promise([record]), oldest first
     OfflineQueue.flush(user, onChange) -> sends every waiting record of that user, one at a time, oldest first
     OfflineQueue.remove(id)            -> Promise
     OfflineQueue.onChange(fn)          -> fn() after any add, remove or send (to redraw a visible queue)

   A record is sent as the multipart POST its page would have sent, with X-Requested-With, so the server answers
   JSON: {"redirect": url} on success, {"error": {"code", "message"}} when refused. Sending a record again is the
   same request: put the form's idempotency key among its fields, and the server answers a retry with the first
   result instead of filing twice (and 422 if the key came with a different body). Outcomes:
     success                    -> removed from the queue (onSent gets the redirect URL)
     refused (4xx but 408/429)  -> kept with status "failed" and the server's message, for the person to read and
                                   delete (sending it again would be refused again)
     network error, 5xx, 429    -> kept "waiting", tried again at the next flush
     logged out (401, sent to /login, or the CSRF check refused the session) -> kept "waiting" with a note to log in
                                   again; sent with the page's CSRF token
                                   then, since the new session refuses the one kept with the record
   Records hold their user's id: another account logged in on the same phone never sends them. */
(function (global) {
  "use strict";
  var DB = "inspect-offline", STORE = "outbox", listeners = [], sending = false;

  function open() {
    return new Promise(function (ok, fail) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id" }); };
      req.onsuccess = function () { ok(req.result); };
      req.onerror = function () { fail(req.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction(STORE, mode), store = t.objectStore(STORE), out = work(store);
        t.oncomplete = function () { db.close(); ok(out && "result" in out ? out.result : out); };
        t.onerror = t.onabort = function () { db.close(); fail(t.error); };
      });
    });
  }
  function changed() { listeners.forEach(function (fn) { try { fn(); } catch (e) { /* a listener's problem */ } }); }

  function add(record) {
    record.id = record.id || (Date.now().toString(36) + Math.random().toString(36).slice(2, 8));
    record.created = record.created || Date.now();
    record.status = "waiting";
    record.error = "";
    return tx("readwrite", function (s) { s.put(record); }).then(function () { changed(); return record; });
  }
  function list(kind) {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (r) { return !kind || r.kind === kind; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }
  function put(record) { return tx("readwrite", function (s) { s.put(record); }); }
  function remove(id) { return tx("readwrite", function (s) { s["delete"](id); }).then(changed); }

  function sendOne(record) {
    // The page's own CSRF token, not the kept one: after logging in again (a new session) the kept token is refused.
    var data = new FormData(), token = document.querySelector("input[name=csrf_token]");
    record.fields.forEach(function (f) { data.append(f[0], f[0] === "csrf_token" && token ? token.value : f[1]); });
    (record.files || []).forEach(function (f) { data.append(f[0], f[1], f[2]); });
    return fetch(record.url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" }
    }).then(function (response) {
      if (response.redirected && /\/login/.test(response.url)) return { wait: "登录已过期，请重新登录后自动发送。" };
      return response.json().then(function (body) { return { response: response, body: body }; },
                                  function () { return { response: response, body: null }; });
    }).then(function (r) {
      if (r.wait) return r;
      var status = r.response.status, body = r.body;
      if (r.response.ok && body && body.redirect) return { sent: body.redirect };
      var message = body && body.error ? body.error.message : "服务器暂时无法处理（" + status + "）。";
      // refused for the session (logged out: 401, or the page's token from another session): wait for a login
      if (status === 401 || (body && body.error && body.error.code === "csrf_failed")) {
        return { wait: "登录已过期，请重新登录后自动发送。" };
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { failed: message };
      return { wait: message };
    }, function () { return { wait: "" }; });  // no connection: stays waiting, quietly
  }

  function flush(user, onSent) {
    if (sending) return Promise.resolve(false);
    sending = true;
    return list().then(function (records) {
      var mine = records.filter(function (r) { return r.status === "waiting" && String(r.user) === String(user); });
      return mine.reduce(function (chain, record) {
        return chain.then(function () {
          return sendOne(record).then(function (result) {
            if (result.sent) {
              if (onSent) onSent(record, result.sent);
              return remove(record.id);
            }
            if (result.failed) { record.status = "failed"; record.error = result.failed; }
            else { record.error = result.wait; }
            return put(record).then(changed);
          });
        });
      }, Promise.resolve());
    }).then(function () { sending = false; return true; }, function (e) { sending = false; throw e; });
  }

  global.OfflineQueue = {
    supported: !!(global.indexedDB && global.fetch && global.FormData && global.Promise),
    add: add, list: list, remove: remove, flush: flush,
    onChange: function (fn) { listeners.push(fn); }
  };
})(window);
