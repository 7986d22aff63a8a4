// Starts GOV.UK Frontend, and again inside anything htmx swaps in. No inline script anywhere.
import { initAll } from "../vendor/govuk-frontend-6.3.0/govuk-frontend.min.js";

initAll();

for (const button of document.querySelectorAll('[data-module="app-print"]')) {
  button.addEventListener("click", () => window.print());
}

if (window.htmx) {
  window.htmx.onLoad((element) => {
    if (element !== document.body) {
      initAll({ scope: element });
    }
    const focusTarget = element.querySelector && element.querySelector("[data-focus-on-load]");
    if (focusTarget) {
      focusTarget.setAttribute("tabindex", "-1");
      focusTarget.focus();
    }
  });
}
