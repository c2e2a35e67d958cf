/* The modeler's own words in the page's language: a catalog the template writes as JSON
   (#modeler-messages, Turkish text -> translation); a missing entry shows the Turkish text.
   "{name}" in a text is filled from `params`. */
(function () {
  "use strict";
  var CF = window.CF = window.CF || {};
  var catalog = null;
  CF.t = function (text, params) {
    if (catalog === null) {
      var node = document.getElementById("modeler-messages");
      try { catalog = node ? JSON.parse(node.textContent) : {}; } catch (err) { catalog = {}; }
    }
    var out = catalog[text] || text;
    Object.keys(params || {}).forEach(function (key) { out = out.split("{" + key + "}").join(String(params[key])); });
    return out;
  };
  CF.lang = function () { return document.documentElement.getAttribute("lang") || "tr"; };
})();
