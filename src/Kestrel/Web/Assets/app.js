// Kestrel's only script: small conveniences. Every page works without it.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
});
document.addEventListener("change", (event) => {
  if (!event.target.matches("input.select-all")) return;
  const form = event.target.closest("form");
  for (const box of form.querySelectorAll("input[type=checkbox][name=id]")) box.checked = event.target.checked;
});
document.addEventListener("change", (event) => {
  if (event.target.matches("form.filters select")) event.target.form.requestSubmit();
});
