// Reveal a resident's full ID number, phone and address: asks the API with a reason (audited)
// and replaces the masked values on the page. The page session's CSRF token rides in a header.
const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";

for (const form of document.querySelectorAll("form[data-reveal]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".error");
    error.hidden = true;
    const response = await fetch(form.dataset.reveal, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ reason: form.elements.reason.value }),
    });
    const body = await response.json();
    if (!response.ok) {
      error.textContent = body.error?.message ?? "请求失败";
      error.hidden = false;
      return;
    }
    for (const [field, value] of Object.entries(body)) {
      const cell = document.querySelector(`[data-field="${field}"]`);
      if (cell && value) {
        cell.textContent = value;
        cell.classList.add("revealed");
      }
    }
    form.hidden = true;
  });
}
