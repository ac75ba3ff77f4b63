// The workflow editor's 校验 button: sends the JSON in the textarea to the validate endpoint
// (nothing is saved) and lists the problems it finds. Saving goes through form.js.
const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";

for (const button of document.querySelectorAll("button[data-validate]")) {
  const form = button.closest("form");
  const list = form.querySelector("ul.problems");
  const message = form.querySelector(".form-message");
  button.addEventListener("click", async () => {
    list.replaceChildren();
    list.hidden = true;
    let definition;
    try {
      definition = JSON.parse(form.querySelector('[data-field="definition"]').value);
    } catch (error) {
      message.textContent = `JSON 格式有误：${error.message}`;
      message.className = "form-message error";
      return;
    }
    const response = await fetch(button.dataset.validate, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ definition }),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      message.textContent = result.error?.message ?? "校验失败";
      message.className = "form-message error";
      return;
    }
    if (result.valid) {
      message.textContent = "校验通过，可以保存为新版本";
      message.className = "form-message ok";
      return;
    }
    message.textContent = `发现 ${result.problems.length} 个问题：`;
    message.className = "form-message error";
    for (const problem of result.problems) {
      const item = document.createElement("li");
      item.textContent = problem;
      list.append(item);
    }
    list.hidden = false;
  });
}
