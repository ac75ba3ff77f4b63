// The campaign page's fill-in panel: pick a household in the list, fill the campaign's form
// (campaign-form.js) and send it to the API with a fresh client id; a done household opens
// with its current values for a correction (phone numbers come back masked and must be
// typed again).
import { checkForm, readForm, renderForm } from "/static/js/campaign-form.js";

const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";
const panel = document.getElementById("fill-panel");
const box = document.getElementById("fill-form");
const message = panel.querySelector(".form-message");
const definition = JSON.parse(document.getElementById("campaign-definition").textContent);
let householdId = null;
let clientId = null;

function withoutMasked(fields, values) {
  const out = {};
  for (const spec of fields) {
    const value = values?.[spec.key];
    if (value === undefined) continue;
    if (spec.type === "phone" && String(value).includes("*")) continue;
    if (spec.type === "group" && Array.isArray(value)) {
      out[spec.key] = value.map((item) => withoutMasked(spec.fields ?? [], item));
    } else if (spec.type === "group") {
      out[spec.key] = withoutMasked(spec.fields ?? [], value);
    } else {
      out[spec.key] = value;
    }
  }
  return out;
}

async function open(button) {
  householdId = Number(button.dataset.fill);
  clientId = crypto.randomUUID();
  let values = {};
  if (button.dataset.done === "1") {
    const response = await fetch(
      `/api/v1/campaigns/${panel.dataset.campaign}/responses?household_id=${householdId}`,
    );
    const page = await response.json();
    values = withoutMasked(definition.fields ?? [], page.items?.[0]?.values ?? {});
  }
  document.getElementById("fill-household").textContent = button.dataset.label;
  renderForm(box, definition, values);
  message.textContent = "";
  panel.hidden = false;
  panel.scrollIntoView({ behavior: "smooth" });
}

for (const button of document.querySelectorAll("[data-fill]")) {
  button.addEventListener("click", () => open(button));
}

document.getElementById("fill-submit").addEventListener("click", async () => {
  const problems = checkForm(box);
  if (problems.length) {
    message.textContent = problems.map((p) => `${p.label}：${p.message}`).join("；");
    message.className = "form-message error";
    return;
  }
  const response = await fetch(`/api/v1/campaigns/${panel.dataset.campaign}/responses`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ client_id: clientId, household_id: householdId, values: readForm(box) }),
  });
  const result = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = [result.error?.message ?? "提交失败", ...(result.error?.details?.errors ?? [])].join("；");
    message.className = "form-message error";
    return;
  }
  message.textContent = `已提交（第 ${result.version} 版）`;
  message.className = "form-message ok";
  window.location.reload();
});
