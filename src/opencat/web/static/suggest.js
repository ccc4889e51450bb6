// Suggestions while typing in the dataset form's tag and zone fields: a plain text input of
// comma-separated values keeps working without this script; with it, the browser's own list
// (a <datalist>) offers the API's suggestions for the value being typed (the last one).
(function () {
  "use strict";
  var SOURCES = {
    tags: function (q) { return "/api/1/tags/suggest/?size=8&q=" + encodeURIComponent(q); },
    zones: function (q) { return "/api/1/spatial/zones/suggest/?size=8&q=" + encodeURIComponent(q); }
  };
  // The zones' levels by id, named in the page's language ("Commune française", not
  // "fr:commune"), asked once, when a zone field is first used.
  var levels = null;

  function levelNames() {
    if (levels) { return levels; }
    var language = document.documentElement.lang === "fr" ? "fr" : "en";
    levels = fetch("/api/1/spatial/levels/?lang=" + language, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (answer) { return answer.ok ? answer.json() : []; })
      .then(function (items) {
        var names = {};
        items.forEach(function (item) { names[item.id] = item.name; });
        return names;
      })
      .catch(function () { return {}; });
    return levels;
  }

  function zoneLabel(item, names) {
    var level = names[item.level] || item.level;
    return item.name + " — " + (item.code ? level + ", " + item.code : level);
  }

  function enhance(input) {
    var source = SOURCES[input.getAttribute("data-suggest")];
    if (!source) { return; }
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.parentNode.appendChild(list);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    var timer = null;
    var asked = "";

    function fill(prefix, items, names) {
      list.textContent = "";
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = prefix + (item.id || item.text);
        if (item.name) { option.label = zoneLabel(item, names); }
        list.appendChild(option);
      });
    }

    function ask() {
      var value = input.value;
      var cut = value.lastIndexOf(",");
      var prefix = cut < 0 ? "" : value.slice(0, cut + 1) + " ";
      var typed = value.slice(cut + 1).trim();
      // Keyed by the whole field: the same last word after other entries is another list (its
      // options carry what comes before it; an entry deleted meanwhile came back with them).
      var key = prefix + typed;
      if (typed.length < 2 || key === asked) { return; }
      asked = key;
      var named = input.getAttribute("data-suggest") === "zones" ? levelNames() : Promise.resolve({});
      fetch(source(typed), { headers: { Accept: "application/json" }, credentials: "omit" })
        .then(function (answer) { return answer.ok ? answer.json() : []; })
        .then(function (items) {
          return named.then(function (names) { if (asked === key) { fill(prefix, items, names); } });
        })
        .catch(function () { /* no suggestions: the field works as typed */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(enhance);
})();
