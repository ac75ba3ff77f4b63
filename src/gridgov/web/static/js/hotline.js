// The 12345 work-order import page: sends the chosen file to POST /api/v1/events/import as
// multipart form data, with the page session's CSRF token in a header, and draws the report
// (every bad row, and the case each work order became). Text only: nothing from the file is
// ever inserted as HTML.
const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";
const form = document.querySelector("#hotline-import");
const result = document.querySelector("#hotline-result");

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = String(cell);
    tr.append(td);
  }
  return tr;
}

function fill(section, rows) {
  const body = section.querySelector("tbody");
  body.replaceChildren(...rows);
  section.hidden = rows.length === 0;
}

function show(report, rejected) {
  const parts = [`文件 ${report.file}：共 ${report.rows} 行`];
  if (report.dry_run) parts.push(`校验通过 ${report.valid} 行（试运行，未写入）`);
  else parts.push(`新增 ${report.created} 件`);
  parts.push(`此前已导入 ${report.already_imported} 行`, `错误 ${report.invalid} 行`);
  if (rejected) parts.push("有错误行，未导入任何工单");
  result.querySelector(".summary").textContent = `${parts.join("，")}（用时 ${report.seconds} 秒）`;
  fill(
    result.querySelector(".errors"),
    report.errors.map((e) => row([e.row, e.column, e.code, e.message])),
  );
  fill(
    result.querySelector(".cases"),
    report.cases.map((c) => {
      const link = document.createElement("a");
      link.href = `/events/${c.event_id}`;
      link.textContent = c.code;
      return row([c.row, c.order_no, link, c.created ? "新增" : "此前已导入"]);
    }),
  );
  result.hidden = false;
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = form.querySelector(".form-message");
  const file = form.elements.file.files[0];
  if (!file) return;
  const params = new URLSearchParams({
    crs: form.elements.crs.value,
    dry_run: String(form.elements.dry_run.checked),
    skip_invalid: String(form.elements.skip_invalid.checked),
  });
  const body = new FormData();
  body.append("file", file);
  message.textContent = "正在校验并导入，请稍候……";
  message.className = "form-message";
  form.querySelector("button").disabled = true;
  try {
    const response = await fetch(`${form.dataset.upload}?${params}`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf },
      body,
    });
    const answer = await response.json().catch(() => ({}));
    const report = response.ok ? answer : answer.error?.details?.report;
    if (report) show(report, !response.ok);
    else result.hidden = true;
    message.textContent = response.ok ? "完成" : (answer.error?.message ?? `导入失败（${response.status}）`);
    message.className = response.ok ? "form-message ok" : "form-message error";
  } finally {
    form.querySelector("button").disabled = false;
  }
});
// The form is handled from here on: before this, a submit would be the browser's own (a test
// driving the page under load waits for this mark).
if (form) form.dataset.ready = "1";
