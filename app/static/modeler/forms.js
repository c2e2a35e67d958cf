/* Form editing: each form's JSON Schema as text, its words in Turkish and English side by side
   (English under "x-i18n": {"en": {...}} on each node), a live preview of the rendered form in the
   page's language, and a server check of the schema. Forms are saved with the diagram. */
(function () {
  "use strict";
  var CF = window.CF = window.CF || {};
  var texts = {};
  var select, area, preview, errors, config, table;
  var KEYS = ["title", "description"];

  function node(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function options(field) {
    if (Array.isArray(field.enum)) { return field.enum.map(function (v) { return { value: v, title: v }; }); }
    var list = field.oneOf || field.anyOf;
    if (Array.isArray(list) && list.every(function (o) { return o && "const" in o; })) {
      return list.map(function (o) { return { value: o.const, title: said(o, "title") || o.const }; });
    }
    return [];
  }
  function english(schema, create) {
    if (create && (!schema["x-i18n"] || typeof schema["x-i18n"] !== "object")) { schema["x-i18n"] = {}; }
    var i18n = schema["x-i18n"] || {};
    if (create && (!i18n.en || typeof i18n.en !== "object")) { i18n.en = {}; }
    return i18n.en || {};
  }
  /* A node's title or description as the page's reader sees it: English when the page is English
     and the node has it, the Turkish text otherwise (the same fallback as the task pages). */
  function said(schema, key) {
    if (CF.lang() === "en" && typeof english(schema)[key] === "string" && english(schema)[key].trim()) {
      return english(schema)[key];
    }
    return schema[key];
  }
  function renderPreview(schema) {
    preview.replaceChildren();
    if (schema.title) { preview.appendChild(node("h4", {}, said(schema, "title"))); }
    if (schema.description) { preview.appendChild(node("p", {}, said(schema, "description"))); }
    var required = schema.required || [];
    Object.keys(schema.properties || {}).forEach(function (name) {
      var field = schema.properties[name] || {}, id = "preview-" + name, input;
      var wrap = node("div", { class: "field" });
      wrap.appendChild(node("label", { for: id }, (said(field, "title") || name) + (required.indexOf(name) >= 0 ? " *" : "")));
      var choices = options(field);
      if (choices.length && field["x-widget"] === "radio") {
        // Radio buttons in a group, as the task page draws them; the group's legend is the title.
        input = node("fieldset", { id: id, class: "choices" });
        input.appendChild(node("legend", {}, (said(field, "title") || name) + (required.indexOf(name) >= 0 ? " *" : "")));
        choices.forEach(function (c, i) {
          var label = node("label", { class: "choice" });
          var radio = node("input", { type: "radio", name: id, id: id + "-" + i, value: String(c.value) });
          label.appendChild(radio);
          label.appendChild(document.createTextNode(" " + c.title));
          input.appendChild(label);
        });
        wrap.replaceChildren();
      } else if (choices.length) {
        input = node("select", { id: id });
        choices.forEach(function (c) { input.appendChild(node("option", { value: String(c.value) }, c.title)); });
      } else if (field.type === "boolean") {
        input = node("input", { type: "checkbox", id: id });
      } else if (field["x-widget"] === "textarea") {
        input = node("textarea", { id: id, rows: "3" });
      } else if (field.format === "date-time") {
        input = node("input", { type: "datetime-local", id: id });
      } else {
        input = node("input", { type: field.type === "integer" || field.type === "number" ? "number" : "text", id: id });
      }
      wrap.appendChild(input);
      if (field.description) { wrap.appendChild(node("small", {}, said(field, "description"))); }
      preview.appendChild(wrap);
    });
  }
  /* Every text a person reads in the form: the form's title and description, each field's, each
     option's title; `path` leads from the schema to the node. */
  function slots(schema) {
    var found = [];
    function add(nodePath, where) {
      var target = nodePath.reduce(function (n, k) { return n && n[k]; }, schema);
      if (!target || typeof target !== "object") { return; }
      KEYS.forEach(function (key) {
        if (typeof target[key] === "string") { found.push({ path: nodePath, key: key, where: where }); }
      });
    }
    add([], CF.t("Form"));
    Object.keys(schema.properties || {}).forEach(function (name) {
      add(["properties", name], name);
      var list = (schema.properties[name] || {}).oneOf;
      (Array.isArray(list) ? list : []).forEach(function (option, i) {
        if (option && "const" in option) { add(["properties", name, "oneOf", i], name + " = " + option.const); }
      });
    });
    return found;
  }
  function setText(path, key, lang, value) {
    var schema;
    try { schema = JSON.parse(area.value); } catch (err) { return; }
    var target = path.reduce(function (n, k) { return n[k]; }, schema);
    if (lang === "tr") {
      target[key] = value;
    } else if (value.trim()) {
      english(target, true)[key] = value;
    } else if (target["x-i18n"] && target["x-i18n"].en) {
      delete target["x-i18n"].en[key];
      if (!Object.keys(target["x-i18n"].en).length) { delete target["x-i18n"].en; }
      if (!Object.keys(target["x-i18n"]).length) { delete target["x-i18n"]; }
    }
    area.value = JSON.stringify(schema, null, 2);
    update(true);
    if (CF.markDirty) { CF.markDirty(); }
  }
  function renderTexts(schema) {
    var body = table.querySelector("tbody");
    body.replaceChildren();
    slots(schema).forEach(function (slot, i) {
      var target = slot.path.reduce(function (n, k) { return n[k]; }, schema);
      var row = node("tr", { "data-path": slot.path.join("/"), "data-key": slot.key });
      row.appendChild(node("th", { scope: "row" }, slot.where + " · " + CF.t(slot.key === "title" ? "başlık" : "açıklama")));
      [["tr", target[slot.key]], ["en", english(target)[slot.key] || ""]].forEach(function (pair) {
        var cell = node("td");
        var input = node("input", { type: "text", id: "form-text-" + pair[0] + "-" + i, "data-lang": pair[0],
                                    "aria-label": (pair[0] === "tr" ? CF.t("Türkçe") : CF.t("İngilizce")) + ": " + slot.where });
        input.value = pair[1];
        if (pair[0] === "en" && !pair[1]) { input.setAttribute("placeholder", CF.t("İngilizcesi yok: Türkçesi gösterilir")); }
        input.addEventListener("input", function () { setText(slot.path, slot.key, pair[0], input.value); });
        cell.appendChild(input);
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }
  function showCurrent() {
    area.value = texts[select.value] || "";
    update();
  }
  function update(fromTable) {
    if (!select.value) { return; }
    texts[select.value] = area.value;
    try {
      var schema = JSON.parse(area.value);
      errors.textContent = "";
      renderPreview(schema);
      if (!fromTable) { renderTexts(schema); }
    } catch (err) {
      errors.textContent = CF.t("JSON hatası: {error}", { error: err.message });
    }
  }
  function refreshSelect(current) {
    select.replaceChildren();
    Object.keys(texts).sort().forEach(function (name) {
      var opt = node("option", { value: name }, name);
      if (name === current) { opt.selected = true; }
      select.appendChild(opt);
    });
  }

  CF.forms = {
    load: function (forms, cfg) {
      config = cfg;
      select = document.getElementById("form-select");
      area = document.getElementById("form-text");
      preview = document.getElementById("form-preview");
      errors = document.getElementById("form-errors");
      table = document.getElementById("form-texts");
      texts = {};
      Object.keys(forms).forEach(function (name) { texts[name] = JSON.stringify(forms[name], null, 2); });
      refreshSelect(Object.keys(texts).sort()[0]);
      showCurrent();
      select.addEventListener("change", showCurrent);
      area.addEventListener("input", function () { update(); if (CF.markDirty) { CF.markDirty(); } });
      document.getElementById("add-form").addEventListener("click", function () {
        var name = document.getElementById("new-form-name").value.trim();
        if (!/^[a-z0-9_]+$/.test(name) || texts[name]) { errors.textContent = CF.t("Geçerli ve yeni bir form adı girin."); return; }
        texts[name] = JSON.stringify({ "$schema": "https://json-schema.org/draft/2020-12/schema", title: name,
          type: "object", properties: {}, required: [], additionalProperties: false }, null, 2);
        refreshSelect(name);
        showCurrent();
      });
      document.getElementById("check-form").addEventListener("click", function () {
        var schema;
        try { schema = JSON.parse(area.value); } catch (err) { errors.textContent = CF.t("JSON hatası: {error}", { error: err.message }); return; }
        CF.postJSON(config.check_form_url, { name: select.value, schema: schema }).then(function (res) {
          var problems = res.data.problems || [], warnings = res.data.warnings || [];
          errors.textContent = problems.length ? problems.map(function (p) { return p.message; }).join("; ")
                                                : CF.t("Şema geçerli.") + (warnings.length ? " " + warnings.map(function (w) {
                                                  return w.message; }).join("; ") : "");
        });
      });
    },
    names: function () { return Object.keys(texts).sort(); },
    collect: function () {
      var forms = {};
      Object.keys(texts).forEach(function (name) {
        try { forms[name] = JSON.parse(texts[name]); } catch (err) {
          throw new Error(CF.t("Form '{name}' geçerli JSON değil: {error}", { name: name, error: err.message }));
        }
      });
      return forms;
    }
  };
})();
