/* The filing page's segment search as one types (loaded by report.js at the first words typed): the words are
   asked from /segments/search; without a connection, the segment map the service worker kept is searched here.
   The matches replace the list (the nearest segments come back when the search is cleared); the first match is
   chosen, so a search is one step, and a segment chosen before stays chosen, listed apart. */
(function (parts) {
  "use strict";
  function setup(list) {
    var form = list.form, select = list.select, first = list.first, found = list.found, timer = null;
    var start = Array.prototype.map.call(select.querySelectorAll("optgroup:not(.near)"), function (g) {
      return { label: g.label, options: Array.prototype.map.call(g.children, function (o) {
        return { value: o.value, text: o.textContent };
      }) };
    });
    list.asked = 0;
    function named(s) { return s.name + "（" + s.district + " · " + s.unit_name + "）"; }
    list.rebuild = function () {  // the whole list: the nearest (when no search), then the matches or the page's own
      var keep = select.value, kept = select.selectedIndex > 0 ? select.options[select.selectedIndex].textContent : "",
          results = list.results, near = !results && list.nearGroup();
      select.textContent = "";
      select.append(first);
      if (near) select.append(near);
      (results || start).forEach(function (g) { select.append(list.group(g.label, g.options)); });
      select.value = keep;
      if (keep && select.value === keep) return;
      var hit = results && select.querySelector("optgroup option");
      if (hit) select.value = hit.value;  // the first match chosen, so a search is one step
      else if (keep) { first.after(list.group("已选的路段", [{ value: keep, text: kept }])); select.value = keep; }
      else select.value = "";
    };
    function search(term) {
      term = (term || "").trim();
      if (term === list.last) return;
      list.last = term;
      var mine = ++list.asked;
      if (!term) { list.clear(); return; }
      found.textContent = "正在搜索…";
      fetch(form.getAttribute("data-search") + "?q=" + encodeURIComponent(term), {
        headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin"
      }).then(function (r) {
        return r.json().then(function (body) {
          if (r.ok) return body;
          var e = new Error((body.error && body.error.message) || "搜索失败，请重试。");
          e.said = true;
          throw e;
        });
      }).catch(function (e) {  // no connection: the map's data, when the service worker kept it, is searched here
        if (e.said) throw e;
        return fetch(form.getAttribute("data-map"), { credentials: "same-origin" }).then(function (r) {
          if (!r.ok) throw e;
          return r.json();
        }).then(function (map) {
          var words = term.split(/\s+/).slice(0, 4), hits = map.segments.filter(function (s) {
            return words.every(function (w) { return (s.name + " " + s.district + " " + s.unit_name).indexOf(w) >= 0; });
          });
          return { segments: hits.slice(0, 20), more: hits.length > 20, offline: true };
        }, function () { throw e; });
      }).then(function (body) {
        if (mine !== list.asked) return;
        var groups = [], by = {}, n = body.segments.length;
        body.segments.forEach(function (s) {
          if (!by[s.district]) groups.push(by[s.district] = { label: s.district, options: [] });
          by[s.district].options.push({ value: String(s.id), text: named(s) });
        });
        list.results = groups;
        found.textContent = !n ? "没有找到“" + term + "”：请换个词（路段名、区县或街道），或在地图上选择。"
          : body.more ? "找到 " + n + " 条以上，只列出前 " + n + " 条：请输入更具体的名称。" : "找到 " + n + " 条路段";
        if (body.offline) found.textContent += "（没有网络：按本机保存的路段地图搜索）";
        list.rebuild();
      }, function (e) {
        if (mine !== list.asked) return;
        list.last = null;  // the same words may be tried again
        found.textContent = e.said ? e.message : "暂时无法搜索路段（可能没有网络）：可以不选，按位置匹配，或填写地址。";
      });
    }
    return function (term, now) {  // typing waits a moment; Enter and the 搜索 button ask at once
      clearTimeout(timer);
      if (now) search(term);
      else timer = setTimeout(function () { search(term); }, 250);
    };
  }
  parts.search = function (list, term, now) {
    (list.searcher || (list.searcher = setup(list)))(term, now);
  };
})(window.ReportParts = window.ReportParts || {});
