// Telecare installer's day: a tap that fails (no signal, server error) says so on its job card,
// and the button is enabled again so it can be retried. Steps are idempotent, so a retry is safe.
const region = (event) => {
  const elt = event.detail && event.detail.elt;
  const card = elt && elt.closest && elt.closest("[data-job-card]");
  return card ? card.querySelector("[data-error-region]") : null;
};

const say = (event, text) => {
  const target = region(event);
  if (!target) return;
  target.replaceChildren();
  const p = document.createElement("p");
  p.className = "govuk-error-message";
  p.textContent = text;
  target.appendChild(p);
};

document.body.addEventListener("htmx:beforeRequest", (event) => {
  const target = region(event);
  if (target) target.replaceChildren();
});
document.body.addEventListener("htmx:sendError", (event) => {
  say(event, "Not saved: there is no connection. Nothing was lost. Tap the button again when you have a signal.");
});
document.body.addEventListener("htmx:timeout", (event) => {
  say(event, "Not saved: the connection timed out. Tap the button again to retry.");
});
document.body.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  const why = status === 404 ? "this job is no longer in your list" : status === 403 ? "you are not allowed to do that"
    : "the service had a problem";
  say(event, `Not saved: ${why}. Tap the button again to retry, or refresh the page.`);
});
