// Starts GOV.UK Frontend, and again inside anything htmx swaps in. No inline script anywhere.
import { createAll, initAll } from "../vendor/govuk-frontend-6.3.0/govuk-frontend.min.js";

// MOJ Frontend, loaded only by pages that use it: the filter panel folds behind "Show filter" on a
// small screen; button menus.
const bigScreen = "(min-width: 48.0625em)";
async function startMoj(scope) {
  if (!scope.querySelector('[data-module="moj-filter"], [data-module="moj-button-menu"]')) {
    return;
  }
  const { ButtonMenu, FilterToggleButton } = await import("../vendor/moj-frontend-11.1.0/moj-frontend.min.js");
  createAll(FilterToggleButton, { bigModeMediaQuery: bigScreen, startHidden: !window.matchMedia(bigScreen).matches },
    { scope });
  createAll(ButtonMenu, {}, { scope });
}

initAll();
startMoj(document);

for (const button of document.querySelectorAll('[data-module="app-print"]')) {
  button.addEventListener("click", () => window.print());
}

if (window.htmx) {
  window.htmx.onLoad((element) => {
    if (element !== document.body) {
      initAll({ scope: element });
      startMoj(element);
    }
    const focusTarget = element.querySelector && element.querySelector("[data-focus-on-load]");
    if (focusTarget) {
      focusTarget.setAttribute("tabindex", "-1");
      focusTarget.focus();
    }
  });
}

// The installer's day kept on the phone for offline use (static/js/installer-sw.js) belongs to one
// signed-in session: it is deleted on signing out, and on any page seen signed out (a session that
// timed out). Steps waiting to send are kept: they are the installer's, sent when they sign in again.
if ("caches" in window) {
  const dropDay = () => caches.delete("installer-day").catch(() => false);
  if (!document.querySelector(".app-account-bar")) dropDay();
  // Started as the sign-out form is sent, not awaited: holding the form back would race a page
  // opened meanwhile. The signed-out page that follows deletes it again in any case.
  const signOut = document.querySelector('.app-account-bar form[action$="/sign-out"]');
  if (signOut) signOut.addEventListener("submit", dropDay, { once: true });
}
