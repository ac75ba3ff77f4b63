// Bulk actions on the workbench: every checked case is sent with the version shown, and the
// API answers per case, so one case handled by someone else meanwhile fails alone.
const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";
const form = document.querySelector("form[data-bulk]");
const boxes = () => [...form.querySelectorAll('input[name="item"]')];

document.querySelector("#select-all")?.addEventListener("change", (event) => {
  for (const box of boxes()) box.checked = event.target.checked;
});

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = form.querySelector(".form-message");
  const items = boxes()
    .filter((box) => box.checked)
    .map((box) => ({ id: Number(box.value), version: Number(box.dataset.version) }));
  if (items.length === 0) {
    message.textContent = "请先勾选案件";
    message.className = "form-message error";
    return;
  }
  const body = { action: form.elements.action.value, items };
  const department = form.elements.department_id?.value;
  if (department) body.department_id = Number(department);
  const comment = form.elements.comment.value.trim();
  if (comment) body.comment = comment;
  const response = await fetch(form.dataset.bulk, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  const result = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = result.error?.message ?? "批量办理失败";
    message.className = "form-message error";
    return;
  }
  const failed = result.results.filter((r) => !r.ok);
  message.textContent = `成功 ${result.succeeded} 件` +
    (failed.length ? `，失败 ${failed.length} 件：` + failed.map((r) => `#${r.id} ${r.message}`).join("；") : "");
  message.className = failed.length ? "form-message error" : "form-message ok";
  if (!failed.length) window.location.reload();
});
