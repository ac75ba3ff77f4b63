// The form editor: check a draft definition on the server without saving it, and preview it
// with the same renderer the grid-worker app uses.
import { checkForm, readForm, renderForm } from "/static/js/campaign-form.js";

const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";
const editor = document.getElementById("form-editor");
const source = editor.querySelector('textarea[data-field="definition"]');
const problems = document.getElementById("form-problems");
const message = editor.querySelector(".form-message");
const previewCard = document.getElementById("preview-card");
const previewBox = document.getElementById("form-preview-box");

function parsed() {
  try {
    return JSON.parse(source.value);
  } catch (error) {
    message.textContent = `JSON 格式有误：${error.message}`;
    message.className = "form-message error";
    return null;
  }
}

function show(list) {
  problems.replaceChildren(...list.map((text) => {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }));
}

async function check() {
  const definition = parsed();
  if (definition === null) return null;
  const response = await fetch("/api/v1/campaign-forms/check", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ definition }),
  });
  const result = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = result.error?.message ?? "校验失败";
    message.className = "form-message error";
    return null;
  }
  show(result.errors);
  message.textContent = result.ok ? "校验通过" : `发现 ${result.errors.length} 个问题`;
  message.className = result.ok ? "form-message ok" : "form-message error";
  return result.ok ? definition : null;
}

document.getElementById("form-check").addEventListener("click", check);
document.getElementById("form-preview").addEventListener("click", async () => {
  const definition = await check();
  if (!definition) return;
  renderForm(previewBox, definition);
  previewCard.hidden = false;
});
document.getElementById("preview-check").addEventListener("click", () => {
  const found = checkForm(previewBox);
  document.getElementById("preview-values").textContent = found.length
    ? found.map((p) => `${p.label}：${p.message}`).join("\n")
    : JSON.stringify(readForm(previewBox), null, 2);
});
