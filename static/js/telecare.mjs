// Telecare installer's day.
//
// Online, each tap is an htmx post that swaps its job card in place; a tap that fails says so on its
// card, and the button is enabled again so it can be retried (steps are idempotent: a retry is safe).
//
// Offline (the day page, which has the #installer-offline settings): the day page is kept on the
// phone by a service worker (static/js/installer-sw.js). A step tapped with no signal, or tapped
// while earlier steps are still waiting, is kept in IndexedDB (its url and every field of its form,
// the visit number and CSRF token included) and sent when the signal returns: in the order tapped,
// one at a time, with a fresh CSRF token of this session. Sent: removed and its card refreshed.
// Refused by the service (the job was given to someone else, the step is not open): kept, and the
// reason shown on the card and in the banner until the installer dismisses it. No network or a
// server error: it stops and tries again later. A key safe code is never kept: the phone refuses it.

const region = (elt) => {
  const card = elt && elt.closest && elt.closest("[data-job-card]");
  return card ? card.querySelector("[data-error-region]") : null;
};

const say = (elt, text) => {
  const target = region(elt);
  if (!target) return;
  target.replaceChildren();
  const p = document.createElement("p");
  p.className = "govuk-error-message";
  p.textContent = text;
  target.appendChild(p);
};

// The words come with the page (marked for translation there); English when a page has none.
const ENGLISH = {
  no_connection: "Not saved: there is no connection. Nothing was lost. Tap the button again when you have a signal.",
  timed_out: "Not saved: the connection timed out. Tap the button again to retry.",
  not_saved_404: "Not saved: this job is no longer in your list. Tap the button again to retry, or refresh the page.",
  not_saved_403: "Not saved: you are not allowed to do that. Tap the button again to retry, or refresh the page.",
  not_saved_other: "Not saved: the service had a problem. Tap the button again to retry, or refresh the page.",
};
const words = (key) => {
  const element = document.getElementById("installer-offline");
  const text = element ? JSON.parse(element.dataset.settings).text : ENGLISH;
  return text[key] || ENGLISH[key];
};

document.body.addEventListener("htmx:beforeRequest", (event) => {
  const target = region(event.detail && event.detail.elt);
  if (target) target.replaceChildren();
});
document.body.addEventListener("htmx:sendError", (event) => {
  const elt = event.detail && event.detail.elt;
  const form = elt && elt.closest && elt.closest("form.app-step-form");
  if (offline && form) {
    offline.keep(form);
    return;
  }
  say(elt, words("no_connection"));
});
document.body.addEventListener("htmx:timeout", (event) => {
  say(event.detail && event.detail.elt, words("timed_out"));
});
document.body.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  say(event.detail && event.detail.elt, words(`not_saved_${status}`) || words("not_saved_other"));
});

// The queue on the phone ------------------------------------------------------------------------

const DB_NAME = "tecs-installer";
const STORE = "steps";

function openQueue() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function inQueue(mode, work) {
  const db = await openQueue();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const queued = {
  all: () => inQueue("readonly", (store) => store.getAll()),
  add: (item) => inQueue("readwrite", (store) => store.add(item)),
  put: (item) => inQueue("readwrite", (store) => store.put(item)),
  remove: (seq) => inQueue("readwrite", (store) => store.delete(seq)),
};

// The same rule as portal/telecare/services/checks.py (its patterns come with the page).
function looksLikeCode(text, codes) {
  if (!text) return false;
  const words = [...text.matchAll(new RegExp(codes.words, "gi"))].map((m) => [m.index, m.index + m[0].length]);
  if (!words.length) return false;
  for (const run of text.matchAll(new RegExp(codes.digits, "g"))) {
    const digits = run[0].replace(/\D/g, "").length;
    if (digits < 3 || digits > 8) continue;
    const start = run.index;
    const end = start + run[0].length;
    if (words.some(([ws, we]) => ws - codes.near <= end && start <= we + codes.near)) return true;
  }
  return false;
}

function startOffline(element) {
  const config = JSON.parse(element.dataset.settings);
  const text = config.text;
  const user = element.dataset.user;
  const tokenUrl = element.dataset.tokenUrl;
  const banner = document.querySelector("[data-offline-banner]");
  const sendButton = banner.querySelector("[data-offline-send]");
  let items = [];
  let sending = false;
  let note = "";

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
  const mine = () => items.filter((item) => item.user === user);
  const waiting = () => mine().filter((item) => item.state === "waiting");

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(element.dataset.worker).catch(() => {});
  }

  function label(form, card) {
    const title = card.querySelector(".app-job-card__title");
    const stop = title && title.querySelector(".app-job-card__stop");
    const name = title ? title.textContent.replace(stop ? stop.textContent : "", "").trim() : card.id;
    const button = form.querySelector("button[type=submit]");
    const tag = form.querySelector('[name="tag"]');
    const what = [button ? button.textContent.trim() : form.dataset.step, tag ? tag.value.trim() : ""];
    return `${name}: ${what.filter(Boolean).join(" ")}`;
  }

  async function keep(form) {
    const card = form.closest("[data-job-card]");
    if (!card) return;
    const typed = form.querySelectorAll("input[type=text], input[type=tel], input:not([type]), textarea");
    if ([...typed].some((input) => looksLikeCode(input.value, config.codes))) {
      say(form, text.code);
      return;
    }
    const item = {
      user,
      url: form.dataset.offlineAction || form.getAttribute("action"),
      fields: [...new FormData(form)].map(([key, value]) => [key, String(value)]),
      job: card.id,
      step: form.dataset.step,
      label: label(form, card),
      state: "waiting",
      at: Date.now(),
    };
    item.seq = await queued.add(item);
    items.push(item);
    const tag = form.querySelector('[name="tag"]');
    if (tag) tag.value = "";  // ready for the next device
    note = "";
    paint();
    if (navigator.onLine) send();
  }

  function mark(card, html) {
    const p = document.createElement("p");
    p.className = "govuk-body app-offline-mark";
    p.dataset.offlineMark = "";
    const tag = document.createElement("strong");
    tag.className = "govuk-tag govuk-tag--yellow";
    tag.textContent = html;
    p.appendChild(tag);
    return p;
  }

  function paintCards() {
    for (const old of document.querySelectorAll("[data-offline-mark]")) old.remove();
    for (const form of document.querySelectorAll("[data-offline-hid]")) {
      form.hidden = false;
      delete form.dataset.offlineHid;
    }
    for (const item of mine()) {
      const card = document.getElementById(item.job);
      if (!card) continue;
      for (const later of card.querySelectorAll("[data-offline-later]")) later.hidden = false;
      for (const notYet of card.querySelectorAll("[data-offline-not-yet]")) notYet.hidden = true;
      if (item.state === "refused") {
        const p = document.createElement("p");
        p.className = "govuk-error-message";
        p.dataset.offlineMark = "";
        p.textContent = `${item.label}. ${fill(text.not_sent, { message: item.message })}`;
        card.querySelector("[data-error-region]").appendChild(p);
        continue;
      }
      const form = card.querySelector(`form[data-step="${item.step}"]`);
      if (!form) continue;
      const tag = item.fields.find(([key]) => key === "tag");
      const saved = mark(card, tag ? `${tag[1]}: ${text.saved}` : text.saved);
      form.insertAdjacentElement("afterend", saved);
      if (!tag && !form.hidden) {
        form.hidden = true;  // recorded once is enough; a refusal shows it again
        form.dataset.offlineHid = "";
      }
    }
  }

  function paintBanner() {
    const count = banner.querySelector("[data-offline-count]");
    const list = banner.querySelector("[data-offline-list]");
    const connection = banner.querySelector("[data-offline-connection]");
    const open = waiting().length;
    const refused = mine().filter((item) => item.state === "refused").length;
    const lines = [];
    if (open) lines.push(fill(open === 1 ? text.waiting_one : text.waiting_other, { count: open }));
    if (refused) lines.push(fill(refused === 1 ? text.not_sent_one : text.not_sent_other, { count: refused }));
    count.textContent = lines.join(" ");
    connection.textContent = !navigator.onLine ? text.offline : note;
    list.replaceChildren();
    for (const item of mine()) {
      const li = document.createElement("li");
      li.dataset.offlineItem = item.state;
      li.textContent = item.state === "refused"
        ? `${item.label}. ${fill(text.not_sent, { message: item.message })} ` : `${item.label}: ${text.saved}`;
      if (item.state === "refused") {
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0 app-offline-dismiss";
        dismiss.textContent = text.dismiss;
        dismiss.setAttribute("aria-label", fill(text.dismiss_label, { step: item.label }));
        dismiss.addEventListener("click", () => forget(item));
        li.appendChild(dismiss);
      }
      list.appendChild(li);
    }
    sendButton.hidden = !(open && navigator.onLine);
    banner.hidden = !(mine().length || !navigator.onLine || note);
  }

  function paint() {
    paintCards();
    paintBanner();
  }

  async function forget(item) {
    await queued.remove(item.seq);
    items = items.filter((other) => other !== item);
    paint();
  }

  async function freshToken() {
    const response = await fetch(tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const json = response.ok && (response.headers.get("Content-Type") || "").includes("json");
    const body = json ? await response.json() : null;
    return body && String(body.user) === user ? body.csrf_token : null;
  }

  async function reason(response) {
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const found = doc.querySelector("[data-error-region] .govuk-error-message") || doc.querySelector("h1 ~ .govuk-body");
    if (found && found.textContent.trim()) return found.textContent.trim();
    return text[`refused_${response.status}`] || text.refused_other;
  }

  function swapCard(id, html) {
    const card = document.getElementById(id);
    if (!card || !html.trim()) return;
    if (window.htmx && window.htmx.swap) {
      window.htmx.swap(card, html, { swapStyle: "outerHTML" });
    } else {
      card.outerHTML = html;
    }
  }

  async function send() {
    if (sending || !waiting().length) return;
    sending = true;
    note = text.sending;
    paintBanner();
    let sent = 0;
    try {
      let token;
      try {
        token = await freshToken();
      } catch (error) {
        note = "";
        return;  // no network yet: the online event or the next load tries again
      }
      if (!token) {
        note = text.sign_in;
        return;
      }
      for (const item of waiting()) {
        const body = new URLSearchParams(item.fields.map(([key, value]) => [key, key === "csrf_token" ? token : value]));
        let response;
        try {
          response = await fetch(item.url, {
            method: "POST", body, credentials: "same-origin",
            headers: { "HX-Request": "true", "HX-Target": item.job, "X-CSRFToken": token },
          });
        } catch (error) {
          note = "";
          return;
        }
        if (response.headers.get("HX-Redirect") || response.redirected) {
          note = text.sign_in;
          return;
        }
        if (response.ok) {
          const html = await response.text();
          await queued.remove(item.seq);
          items = items.filter((other) => other !== item);
          swapCard(item.job, html);
          sent += 1;
        } else if (response.status >= 500 || response.status === 429) {
          note = text.wait_error;
          return;
        } else {
          item.state = "refused";
          item.message = await reason(response);
          await queued.put(item);
        }
      }
      note = waiting().length ? "" : text.all_sent;
    } finally {
      sending = false;
      if (sent) fetch(element.dataset.dayUrl, { credentials: "same-origin" }).catch(() => {});  // the copy kept
      paint();
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches || !form.matches("form.app-step-form") || !form.closest("[data-job-card]")) return;
    if (navigator.onLine && !form.dataset.offlineAction && !waiting().length) return;  // htmx sends it now
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(form);
  }, true);
  sendButton.addEventListener("click", () => send());
  setInterval(() => {  // a signal that came back without an "online" event (the phone thought it had one)
    if (navigator.onLine && waiting().length) send();
  }, 30000);
  window.addEventListener("online", () => {
    note = text.online;
    paint();
    send();
  });
  window.addEventListener("offline", () => {
    note = "";
    paint();
  });

  queued.all().then((all) => {
    items = all.sort((a, b) => a.seq - b.seq);
    paint();
    if (navigator.onLine) send();
  }).catch(() => {});

  return { keep };
}

const settings = document.getElementById("installer-offline");
const offline = settings ? startOffline(settings) : null;
