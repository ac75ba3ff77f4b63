// Campaign forms (专项排查) in the browser: draw a form definition as inputs, read the values
// back, and check what the server will check first (required when shown, ranges, lengths,
// phone numbers, repeat-group limits). Used by the campaign pages and the grid-worker app.
//
//   import { renderForm, readForm, checkForm } from "/static/js/campaign-form.js";
//   renderForm(container, definition, values);   // values optional (a correction)
//   const problems = checkForm(container);       // [] when fine; marks the fields otherwise
//   const values = readForm(container);          // only shown, non-empty fields
//
// A definition is {"fields": [{key, label, type, required, options, min, max, max_length, help,
// show_if: {field, equals}, fields, repeat, max_items}]}; nothing in it is evaluated as code.

const MOBILE = /^1[3-9]\d{9}$/;
const LANDLINE = /^0\d{2,3}-?\d{7,8}$/;
const DEFAULT_MAX_LENGTH = { text: 200, textarea: 2000 };
const DEFAULT_MAX_ITEMS = 50;
let serial = 0;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function input(spec, value) {
  const common = { "data-input": spec.type, "aria-label": spec.label };
  switch (spec.type) {
    case "textarea":
      return el("textarea", {
        ...common, rows: 3, maxlength: spec.max_length ?? DEFAULT_MAX_LENGTH.textarea,
      }, value ?? "");
    case "integer":
    case "number": {
      const node = el("input", {
        ...common, type: "number", inputmode: spec.type === "integer" ? "numeric" : "decimal",
        step: spec.type === "integer" ? 1 : "any", min: spec.min, max: spec.max,
      });
      if (value !== undefined && value !== null) node.value = String(value);
      return node;
    }
    case "date": {
      const node = el("input", { ...common, type: "date" });
      if (value) node.value = value;
      return node;
    }
    case "phone": {
      const node = el("input", { ...common, type: "tel", inputmode: "tel", autocomplete: "off" });
      if (value) node.value = value;
      return node;
    }
    case "boolean": {
      const name = `cf-${++serial}`;
      const box = el("span", { ...common, class: "cf-choices", role: "radiogroup" });
      for (const [flag, label] of [[true, "是"], [false, "否"]]) {
        const radio = el("input", { type: "radio", name, value: String(flag) });
        radio.checked = value === flag;
        box.append(el("label", { class: "cf-choice" }, radio, label));
      }
      return box;
    }
    case "select": {
      const node = el("select", common, el("option", { value: "", text: "请选择" }));
      for (const option of spec.options ?? []) {
        const item = el("option", { value: option.value, text: option.label });
        item.selected = value === option.value;
        node.append(item);
      }
      return node;
    }
    case "multiselect": {
      const box = el("span", { ...common, class: "cf-choices" });
      const chosen = new Set(Array.isArray(value) ? value : []);
      for (const option of spec.options ?? []) {
        const check = el("input", { type: "checkbox", value: option.value });
        check.checked = chosen.has(option.value);
        box.append(el("label", { class: "cf-choice" }, check, option.label));
      }
      return box;
    }
    default: {
      const node = el("input", {
        ...common, type: "text", maxlength: spec.max_length ?? DEFAULT_MAX_LENGTH.text,
      });
      if (value !== undefined && value !== null) node.value = String(value);
      return node;
    }
  }
}

function fieldList(fields, values) {
  const list = el("div", { class: "cf-fields" });
  for (const spec of fields) list.append(field(spec, values?.[spec.key]));
  return list;
}

function entry(group, values) {
  const box = el("div", { class: "cf-entry" });
  const remove = el("button", { type: "button", class: "cf-remove", text: `删除此${group.label}` });
  remove.addEventListener("click", () => {
    const entries = box.parentElement;
    box.remove();
    renumber(entries);
    entries.dispatchEvent(new Event("change", { bubbles: true }));
  });
  box.append(el("div", { class: "cf-entry-title" }), fieldList(group.fields ?? [], values), remove);
  return box;
}

function renumber(entries) {
  [...entries.children].forEach((box, i) => {
    box.querySelector(":scope > .cf-entry-title").textContent = `第 ${i + 1} 项`;
  });
}

function field(spec, value) {
  const wrap = el("div", { class: "cf-field", "data-key": spec.key, "data-type": spec.type });
  const title = el("span", { class: "cf-label", text: spec.label });
  if (spec.required) title.append(el("b", { class: "cf-required", text: " *" }));
  if (spec.type === "group") {
    const set = el("fieldset", { class: "cf-group" }, el("legend", {}, title));
    if (spec.help) set.append(el("small", { class: "cf-help", text: spec.help }));
    if (spec.repeat) {
      const entries = el("div", { class: "cf-entries" });
      for (const item of Array.isArray(value) ? value : []) entries.append(entry(spec, item));
      renumber(entries);
      const add = el("button", { type: "button", class: "cf-add", text: `添加${spec.label}` });
      add.addEventListener("click", () => {
        if (entries.children.length >= (spec.max_items ?? DEFAULT_MAX_ITEMS)) return;
        entries.append(entry(spec, {}));
        renumber(entries);
        entries.dispatchEvent(new Event("change", { bubbles: true }));
      });
      set.append(entries, add);
    } else {
      set.append(fieldList(spec.fields ?? [], value ?? {}));
    }
    wrap.append(set);
  } else {
    wrap.append(el("label", {}, title, input(spec, value)));
    if (spec.help) wrap.append(el("small", { class: "cf-help", text: spec.help }));
  }
  wrap.append(el("small", { class: "cf-message", role: "alert" }));
  return wrap;
}

function child(list, key) {
  return [...list.children].find((node) => node.dataset.key === key);
}

function rawValue(spec, wrap) {
  const control = wrap.querySelector(":scope > label > [data-input]");
  switch (spec.type) {
    case "boolean": {
      const picked = control.querySelector("input:checked");
      return picked ? picked.value === "true" : undefined;
    }
    case "multiselect": {
      const picked = [...control.querySelectorAll("input:checked")].map((c) => c.value);
      return picked.length ? picked : undefined;
    }
    case "integer":
    case "number": {
      const text = control.value.trim();
      return text === "" ? undefined : Number(text);
    }
    default: {
      const text = control.value.trim();
      return text === "" ? undefined : text;
    }
  }
}

function same(actual, expected) {
  if (Array.isArray(actual)) return actual.some((item) => same(item, expected));
  return actual === expected;
}

// Walks a field list in the definition's order with the same visibility rule as the server:
// a field with show_if is shown when the earlier sibling (or, inside a group, the earlier
// top-level field) holds the value.
function walk(fields, list, top, path, label, visit) {
  const values = {};
  for (const spec of fields) {
    const wrap = child(list, spec.key);
    if (!wrap) continue;
    let shown = true;
    if (spec.show_if) {
      const source = fields.some((f) => f.key === spec.show_if.field) ? values : top ?? values;
      shown = spec.show_if.field in source && same(source[spec.show_if.field], spec.show_if.equals);
    }
    wrap.hidden = !shown;
    if (!shown) continue;
    const where = `${path}${spec.key}`;
    const who = `${label}${spec.label}`;
    let value;
    if (spec.type === "group") {
      const set = wrap.querySelector(":scope > fieldset");
      if (spec.repeat) {
        const entries = [...set.querySelector(":scope > .cf-entries").children];
        value = entries.map((box, i) => walk(
          spec.fields ?? [], box.querySelector(":scope > .cf-fields"), top ?? values,
          `${where}[${i}].`, `${who} 第${i + 1}项 / `, visit,
        ));
        if (!value.length) value = undefined;
      } else {
        value = walk(spec.fields ?? [], set.querySelector(":scope > .cf-fields"), top ?? values,
          `${where}.`, `${who} / `, visit);
      }
    } else {
      value = rawValue(spec, wrap);
    }
    visit(spec, wrap, value, where, who);
    if (value !== undefined) values[spec.key] = value;
  }
  return values;
}

function problemOf(spec, value) {
  if (value === undefined) return spec.required ? "必填" : null;
  switch (spec.type) {
    case "integer":
    case "number":
      if (!Number.isFinite(value)) return "应为数字";
      if (spec.type === "integer" && !Number.isInteger(value)) return "应为整数";
      if (spec.min !== undefined && spec.min !== null && value < spec.min) return `不能小于 ${spec.min}`;
      if (spec.max !== undefined && spec.max !== null && value > spec.max) return `不能大于 ${spec.max}`;
      return null;
    case "text":
    case "textarea": {
      const limit = spec.max_length ?? DEFAULT_MAX_LENGTH[spec.type];
      return value.length > limit ? `最多 ${limit} 个字` : null;
    }
    case "date":
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? null : "日期应为 YYYY-MM-DD 格式";
    case "phone": {
      const phone = value.replace(/[\s()（）]/g, "").replace(/^\+86/, "");
      return MOBILE.test(phone) || LANDLINE.test(phone) ? null : "不是有效的电话号码";
    }
    case "group":
      if (spec.repeat && value.length > (spec.max_items ?? DEFAULT_MAX_ITEMS)) {
        return `最多 ${spec.max_items ?? DEFAULT_MAX_ITEMS} 项`;
      }
      return null;
    default:
      return null;
  }
}

export function renderForm(container, definition, values = {}) {
  container.replaceChildren(fieldList(definition.fields ?? [], values ?? {}));
  container.classList.add("campaign-form");
  container.cfDefinition = definition;
  const refresh = () => walk(definition.fields ?? [], container.firstElementChild, null, "", "",
    () => {});
  container.addEventListener("change", refresh);
  container.addEventListener("input", refresh);
  refresh();
}

export function readForm(container) {
  const definition = container.cfDefinition;
  return walk(definition.fields ?? [], container.firstElementChild, null, "", "", () => {});
}

export function checkForm(container) {
  const definition = container.cfDefinition;
  const problems = [];
  walk(definition.fields ?? [], container.firstElementChild, null, "", "",
    (spec, wrap, value, path, label) => {
      const message = problemOf(spec, value);
      wrap.classList.toggle("cf-invalid", Boolean(message));
      wrap.querySelector(":scope > .cf-message").textContent = message ?? "";
      if (message) problems.push({ path, label, message });
    });
  return problems;
}
