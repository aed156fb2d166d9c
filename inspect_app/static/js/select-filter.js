/* Long menus (a unit among 600, a road segment among 5,000): a box above the menu narrows its options to those
   whose names hold every word typed, as a menu's own type-ahead does not work with Chinese input. Enter picks the
   first match (adds it, in a menu of several), ↓ goes to the menu, Esc clears the box; the options chosen and the
   empty one (请选择, 全部) always stay. Loaded by base.html on every page but the filing page (its segment menu has
   its own search, its scripts a budget); without it the menus work as they are. A menu opts out: data-no-filter. */
(function () {
  "use strict";
  var MANY = 30, made = 0, slice = Array.prototype.slice;

  function nameOf(select) {  // the label's words before the menu (a label holding the menu holds its options too)
    var label = select.labels && select.labels[0], text = "";
    if (!label) return select.getAttribute("aria-label") || "";
    for (var node = label.firstChild; node && !node.contains(select); node = node.nextSibling) text += node.textContent;
    return text.replace(/\s+/g, " ").trim();
  }

  function setup(select) {
    var box = document.createElement("input"), said = document.createElement("small"), name = nameOf(select),
        label = select.labels && select.labels[0], words = [], total = 0;
    var items = slice.call(select.children).map(function (node) {  // options, and optgroups with theirs
      var options = node.tagName === "OPTGROUP" ? slice.call(node.children) : [node];
      total += options.length;
      return { node: node, options: options };
    });
    if (!select.id) select.id = "select-filter-" + (++made);
    if (label && !label.htmlFor) label.htmlFor = select.id;  // the label stays the menu's, not the box's
    // and the menu's name its words alone, not the box's text and its count too (now inside its label)
    if (name && !select.hasAttribute("aria-label") && !select.hasAttribute("aria-labelledby")) {
      select.setAttribute("aria-label", name);
    }
    box.type = "search";
    box.className = "select-filter";
    box.placeholder = "输入文字筛选（共 " + total + " 项）";
    box.autocomplete = "off";
    box.setAttribute("aria-label", "筛选" + (name ? "“" + name + "”" : "") + "的选项");
    box.setAttribute("aria-controls", select.id);
    said.className = "select-filter-said";
    said.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(said, select);

    function hit(option) {
      var text = option.text.toLowerCase();
      return words.every(function (w) { return text.indexOf(w) >= 0; });
    }
    function filter() {  // the menu rebuilt in one go: 5,000 options moved one by one took a tenth of a second
      var found = 0, shown = document.createDocumentFragment(),
          chosen = slice.call(select.options).filter(function (o) { return o.selected; });
      words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      select.textContent = "";  // all out at once (one by one, a menu of one choice chose again at each)
      items.forEach(function (item) {
        var grouped = item.node.tagName === "OPTGROUP", into = grouped ? document.createDocumentFragment() : shown;
        item.options.forEach(function (option) {
          var match = hit(option);
          if (match && option.value) found++;
          if (match || !option.value || chosen.indexOf(option) >= 0) into.appendChild(option);
        });
        if (grouped && into.firstChild) {
          item.node.textContent = "";
          item.node.appendChild(into);
          shown.appendChild(item.node);
        }
      });
      select.appendChild(shown);
      chosen.forEach(function (o) { o.selected = true; });  // taken out, a menu of one choice had none chosen
      said.textContent = words.length ? (found ? "找到 " + found + " 项" : "没有找到，请换个字试试") : "";
    }
    function pickFirst() {
      var option = slice.call(select.options).filter(function (o) {
        return o.value && !o.disabled && !(select.multiple && o.selected) && hit(o);
      })[0];
      if (!option) return;
      if (select.multiple) option.selected = true;
      else select.value = option.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      said.textContent = "已选：" + option.text;
    }
    box.addEventListener("input", filter);
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();  // a pick, not the form's submit
        if (words.length) pickFirst();
      } else if (e.key === "ArrowDown") {
        e.preventDefault();
        select.focus();
      } else if (e.key === "Escape" && box.value) {
        e.preventDefault();
        box.value = "";
        filter();
      }
    });
  }

  slice.call(document.querySelectorAll("select")).forEach(function (select) {
    if (select.options.length > MANY && !select.hasAttribute("data-no-filter")) setup(select);
  });
})();
