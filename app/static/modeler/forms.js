/* Form editing: each form's JSON Schema as text, a live preview of the rendered form, and a server
   check of the schema. Forms are saved with the diagram (a draft holds both). */
(function () {
  "use strict";
  var CF = window.CF = window.CF || {};
  var texts = {};
  var select, area, preview, errors, config;

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
      return list.map(function (o) { return { value: o.const, title: o.title || o.const }; });
    }
    return [];
  }
  function renderPreview(schema) {
    preview.replaceChildren();
    if (schema.title) { preview.appendChild(node("h4", {}, schema.title)); }
    if (schema.description) { preview.appendChild(node("p", {}, schema.description)); }
    var required = schema.required || [];
    Object.keys(schema.properties || {}).forEach(function (name) {
      var field = schema.properties[name] || {}, id = "preview-" + name, input;
      var wrap = node("div", { class: "field" });
      wrap.appendChild(node("label", { for: id }, (field.title || name) + (required.indexOf(name) >= 0 ? " *" : "")));
      var choices = options(field);
      if (choices.length && field["x-widget"] === "radio") {
        // Radio buttons in a group, as the task page draws them; the group's legend is the title.
        input = node("fieldset", { id: id, class: "choices" });
        input.appendChild(node("legend", {}, (field.title || name) + (required.indexOf(name) >= 0 ? " *" : "")));
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
      if (field.description) { wrap.appendChild(node("small", {}, field.description)); }
      preview.appendChild(wrap);
    });
  }
  function showCurrent() {
    area.value = texts[select.value] || "";
    update();
  }
  function update() {
    if (!select.value) { return; }
    texts[select.value] = area.value;
    try {
      var schema = JSON.parse(area.value);
      errors.textContent = "";
      renderPreview(schema);
    } catch (err) {
      errors.textContent = "JSON hatası: " + err.message;
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
      texts = {};
      Object.keys(forms).forEach(function (name) { texts[name] = JSON.stringify(forms[name], null, 2); });
      refreshSelect(Object.keys(texts).sort()[0]);
      showCurrent();
      select.addEventListener("change", showCurrent);
      area.addEventListener("input", function () { update(); if (CF.markDirty) { CF.markDirty(); } });
      document.getElementById("add-form").addEventListener("click", function () {
        var name = document.getElementById("new-form-name").value.trim();
        if (!/^[a-z0-9_]+$/.test(name) || texts[name]) { errors.textContent = "Geçerli ve yeni bir form adı girin."; return; }
        texts[name] = JSON.stringify({ "$schema": "https://json-schema.org/draft/2020-12/schema", title: name,
          type: "object", properties: {}, required: [], additionalProperties: false }, null, 2);
        refreshSelect(name);
        showCurrent();
      });
      document.getElementById("check-form").addEventListener("click", function () {
        var schema;
        try { schema = JSON.parse(area.value); } catch (err) { errors.textContent = "JSON hatası: " + err.message; return; }
        CF.postJSON(config.check_form_url, { name: select.value, schema: schema }).then(function (res) {
          var problems = res.data.problems || [];
          errors.textContent = problems.length ? problems.map(function (p) { return p.message; }).join("; ")
                                                : "Şema geçerli.";
        });
      });
    },
    names: function () { return Object.keys(texts).sort(); },
    collect: function () {
      var forms = {};
      Object.keys(texts).forEach(function (name) {
        try { forms[name] = JSON.parse(texts[name]); } catch (err) {
          throw new Error("Form '" + name + "' geçerli JSON değil: " + err.message);
        }
      });
      return forms;
    }
  };
})();
