/* A site's checklist on the phone: answers and photos are kept on the phone (IndexedDB) until the server has them,
   so a reload, a dead battery or no signal loses nothing; the submission carries one Idempotency-Key per draft, so
   sending again after a lost answer never makes a second result. Self-contained: nothing else reads this store.
   Without this file the form still posts as a plain multipart form. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.querySelector("form.js-check");
  if (!form) return;
  var DRAFT = "draft:" + form.getAttribute("data-draft");
  // photos per failed item: the server's MAX_PHOTOS_PER_REPORT (the page says it), never more kept without a word
  var MAX_SIDE = 1600, QUALITY = 0.82, MAX_PHOTOS = +form.getAttribute("data-max-photos") || 9;
  var errorBox = form.querySelector(".js-error"), statusLine = form.querySelector(".status");
  var draft = { key: form.elements.idempotency_key.value, answers: {}, photos: {} };
  var sending = false;

  // --- storage: one IndexedDB store of drafts; without IndexedDB (private mode) the draft lives in memory only
  function open() {
    return new Promise(function (ok, fail) {
      if (!window.indexedDB) return fail(new Error("no IndexedDB"));
      var request = indexedDB.open("inspect-assessment", 1);
      request.onupgradeneeded = function () { request.result.createObjectStore("drafts"); };
      request.onsuccess = function () { ok(request.result); };
      request.onerror = function () { fail(request.error); };
    });
  }
  function store(mode, work) {
    return open().then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction("drafts", mode), request = work(t.objectStore("drafts"));
        t.oncomplete = function () { db.close(); ok(request && request.result); };
        t.onerror = t.onabort = function () { db.close(); fail(t.error); };
      });
    });
  }
  var saveTimer = null;
  function save() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () {
      store("readwrite", function (s) { return s.put(draft, DRAFT); }).catch(function () {});
    }, 150);
  }
  function forget() { return store("readwrite", function (s) { return s.delete(DRAFT); }).catch(function () {}); }

  // --- photos: upright JPEG, at most MAX_SIDE px, made on the phone (a 12 MP photo becomes ~300 KB)
  function scale(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bmp) {
      var k = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      var c = document.createElement("canvas");
      c.width = Math.round(bmp.width * k); c.height = Math.round(bmp.height * k);
      c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
      bmp.close();
      return new Promise(function (ok) { c.toBlob(function (b) { ok(b || file); }, "image/jpeg", QUALITY); });
    }).catch(function () { return file; });  // cannot decode here (HEIC): the server judges it
  }

  function item(code) { return form.querySelector('.item[data-code="' + code + '"]'); }
  function codes() { return Array.prototype.map.call(form.querySelectorAll(".item"), function (li) { return li.getAttribute("data-code"); }); }

  function showPhotos(code) {
    var box = item(code).querySelector(".previews");
    box.textContent = "";
    (draft.photos[code] || []).forEach(function (blob, index) {
      var fig = document.createElement("figure"), img = document.createElement("img"), rm = document.createElement("button");
      var url = URL.createObjectURL(blob);
      img.src = url; img.alt = "现场照片" + (index + 1);
      img.onload = function () { URL.revokeObjectURL(url); };
      rm.type = "button"; rm.className = "rm"; rm.textContent = "×"; rm.setAttribute("aria-label", "删除这张照片");
      rm.addEventListener("click", function () { draft.photos[code].splice(index, 1); showPhotos(code); save(); });
      fig.appendChild(img); fig.appendChild(rm); box.appendChild(fig);
    });
  }

  function mark(code) {
    var answer = draft.answers[code] || {};
    item(code).classList.toggle("is-fail", answer.pass === "0");
  }

  function restore(saved) {
    if (!saved || !saved.answers) return;
    draft = saved;
    codes().forEach(function (code) {
      var answer = draft.answers[code] || {};
      var radio = form.querySelector('input[name="pass_' + code + '"][value="' + answer.pass + '"]');
      if (radio) radio.checked = true;
      var note = form.elements["note_" + code];
      if (note && answer.note) note.value = answer.note;
      mark(code);
      if ((draft.photos[code] || []).length) showPhotos(code);
    });
    statusLine.textContent = "已恢复保存在本机的填写内容。";
  }

  form.addEventListener("change", function (e) {
    var name = e.target.name || "", code;
    if (name.indexOf("pass_") === 0) {
      code = name.slice(5);
      draft.answers[code] = draft.answers[code] || {};
      draft.answers[code].pass = e.target.value;
      mark(code); save();
    } else if (name.indexOf("photos_") === 0) {
      code = name.slice(7);
      var files = Array.prototype.slice.call(e.target.files || []);
      e.target.value = "";
      statusLine.textContent = "正在处理照片…";
      Promise.all(files.map(scale)).then(function (blobs) {
        var all = (draft.photos[code] || []).concat(blobs), over = all.length - MAX_PHOTOS;
        var limit = item(code).querySelector(".photo-limit");
        draft.photos[code] = all.slice(0, MAX_PHOTOS);
        showPhotos(code); save();
        statusLine.textContent = "";
        if (limit) {
          limit.textContent = "每项最多" + MAX_PHOTOS + "张" + (over > 0 ? "：已保留前" + MAX_PHOTOS + "张，另" + over + "张未加入" : "");
          limit.classList.toggle("over", over > 0);
        }
      });
    }
  });
  form.addEventListener("input", function (e) {
    var name = e.target.name || "";
    if (name.indexOf("note_") === 0) {
      var code = name.slice(5);
      draft.answers[code] = draft.answers[code] || {};
      draft.answers[code].note = e.target.value;
      save();
    }
  });

  function fail(message, code, link) {  // link: [href, text], a way on (the stored results, the login page)
    errorBox.textContent = message; errorBox.hidden = false;
    if (link) {
      var a = document.createElement("a");
      a.href = link[0]; a.textContent = link[1];
      errorBox.appendChild(document.createTextNode(" ")); errorBox.appendChild(a);
    }
    var target = code ? item(code) : errorBox;
    if (target && target.scrollIntoView) target.scrollIntoView({ block: "center" });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) return;
    errorBox.hidden = true;
    var list = codes(), data = new FormData(), i, code, answer;
    for (i = 0; i < list.length; i++) {
      code = list[i]; answer = draft.answers[code] || {};
      if (answer.pass !== "1" && answer.pass !== "0") return fail("第" + (i + 1) + "项还没有评判。", code);
      if (answer.pass === "0" && !(draft.photos[code] || []).length) return fail("第" + (i + 1) + "项不达标，请拍照留证。", code);
    }
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append("idempotency_key", draft.key);
    list.forEach(function (c) {
      var a = draft.answers[c];
      data.append("pass_" + c, a.pass);
      data.append("note_" + c, a.note || "");
      if (a.pass === "0") (draft.photos[c] || []).forEach(function (blob, n) { data.append("photos_" + c, blob, c + "-" + (n + 1) + ".jpg"); });
    });
    sending = true;
    statusLine.textContent = "正在提交…";
    var x = new XMLHttpRequest();
    x.open("POST", form.getAttribute("action") || location.href);
    x.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    x.setRequestHeader("Accept", "application/json");
    x.onload = function () {
      sending = false;
      var body = null;
      try { body = JSON.parse(x.responseText); } catch (err) { body = null; }
      if (x.status < 400 && body && body.redirect) {
        statusLine.textContent = "已提交。";
        forget().then(function () { location.href = body.redirect; });
        return;
      }
      statusLine.textContent = "";
      var error = (body && body.error) || {};
      if (x.status === 401 || /\/login/.test(x.responseURL || "")) {  // the login ran out (auth/web.py unauthorized)
        return fail("登录已过期：填写内容和照片已保存在本机，请重新登录，回到本页后再点“提交”。", null,
                    [error.login || "/login?next=" + encodeURIComponent(location.pathname), "重新登录"]);
      }
      // the site was submitted already (perhaps by this draft's first sending, whose answer never came): what
      // stands is on the site's page; the draft stays here, for a resubmission once the office has withdrawn it
      fail(error.message || "提交失败（" + x.status + "），填写内容仍保存在本机，请稍后重试。", null,
           /^(already_submitted|idempotency_key_reused)$/.test(error.code) ? [location.href, "查看已提交的结果"] : null);
    };
    x.onerror = x.ontimeout = function () {
      sending = false;
      statusLine.textContent = "";
      fail("网络不可用：填写内容和照片已保存在本机，恢复网络后再点“提交”即可（不会重复提交）。");
    };
    x.send(data);
  });

  store("readonly", function (s) { return s.get(DRAFT); }).then(restore).catch(function () {
    statusLine.textContent = "本机不能保存草稿（浏览器隐私模式？），请在提交前不要离开本页。";
  });
})();
