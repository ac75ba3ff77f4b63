// Forms that write through the JSON API: <form data-api="/api/v1/..." data-method="PATCH">.
// Inputs carry data-type (text, number, integer, boolean, list, json) so the body has the types
// the API expects; empty optional inputs are left out. The page session's CSRF token rides in a
// header. On success the page reloads (or follows data-next); errors show under the form.
const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";

function valueOf(input) {
  if (input.multiple) {
    const chosen = [...input.selectedOptions].map((o) => o.value);
    return input.dataset.type === "integer-list" ? chosen.map(Number) : chosen;
  }
  const raw = input.type === "checkbox" ? input.checked : input.value.trim();
  switch (input.dataset.type) {
    case "number": return raw === "" ? undefined : Number(raw);
    case "integer": return raw === "" ? undefined : Number.parseInt(raw, 10);
    case "boolean": return input.type === "checkbox" ? raw : raw === "true";
    case "list": return raw === "" ? [] : raw.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
    case "json": return raw === "" ? undefined : JSON.parse(raw);
    default: return raw === "" ? undefined : raw;
  }
}

function setPath(target, path, value) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)] = value;
}

// <input type="file" data-upload="media_ids">: each chosen file is uploaded to /api/v1/media
// first, and the ids it gets go into the body under that name. A retry after a refused action
// reuses the uploads of the same selection.
async function uploadFiles(form, body, message) {
  for (const input of form.querySelectorAll("input[type=file][data-upload]")) {
    if (input.uploaded?.files !== input.files) {
      const ids = [];
      for (const file of input.files) {
        message.textContent = `正在上传 ${file.name}（${ids.length + 1}/${input.files.length}）…`;
        message.className = "form-message";
        const data = new FormData();
        data.append("file", file);
        const response = await fetch("/api/v1/media", {
          method: "POST",
          headers: { "X-CSRF-Token": csrf },
          body: data,
        });
        const result = await response.json().catch(() => ({}));
        if (!response.ok) {
          message.textContent = `${file.name}：${result.error?.message ?? "上传失败"}`;
          message.className = "form-message error";
          return false;
        }
        ids.push(result.id);
      }
      input.uploaded = { files: input.files, ids };
    }
    if (input.uploaded.ids.length) setPath(body, input.dataset.upload, input.uploaded.ids);
  }
  return true;
}

for (const form of document.querySelectorAll("form[data-api]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = form.querySelector(".form-message");
    const body = {};
    try {
      for (const input of form.querySelectorAll("[data-field]")) {
        const value = valueOf(input);
        if (value !== undefined) setPath(body, input.dataset.field, value);
      }
    } catch (error) {
      message.textContent = `输入格式有误：${error.message}`;
      message.className = "form-message error";
      return;
    }
    if (!(await uploadFiles(form, body, message))) return;
    const response = await fetch(form.dataset.api, {
      method: form.dataset.method ?? "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      const details = result.error?.details?.errors ?? [];
      message.textContent = [result.error?.message ?? "保存失败", ...details].join("；");
      message.className = "form-message error";
      return;
    }
    message.textContent = "已保存";
    message.className = "form-message ok";
    const next = form.dataset.next?.replace("{id}", result.id ?? "");
    window.location.href = next || window.location.href;
  });
}
