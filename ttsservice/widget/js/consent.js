  /* ---------------------------------------------------------------- consent */

  let consent = false;
  const listeners = [];

  function storageGet() {
    if (!consent) return {};
    try {
      return JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") || {};
    } catch (err) {
      return {};
    }
  }

  function storagePut(changes) {
    if (!consent) return; // never write before consent
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(Object.assign(storageGet(), changes)));
    } catch (err) {
      /* storage full or blocked: settings just are not kept */
    }
  }

  function storageClear() {
    try {
      localStorage.removeItem(STORAGE_KEY);
      sessionStorage.removeItem(STORAGE_KEY);
    } catch (err) {
      /* blocked storage holds nothing of ours */
    }
  }

  /** Consent as the configured cookie tells it: true, false, or null (no cookie configured). */
  function cookieConsent() {
    if (!config.consentCookie) return null;
    for (const part of document.cookie.split(";")) {
      const eq = part.indexOf("=");
      const name = decodeURIComponent(part.slice(0, eq < 0 ? undefined : eq).trim());
      if (name !== config.consentCookie) continue;
      let value = eq < 0 ? "" : part.slice(eq + 1).trim();
      try {
        value = decodeURIComponent(value);
      } catch (err) {
        /* keep it raw */
      }
      return config.consentCookieValue ? value.includes(config.consentCookieValue) : true;
    }
    return false;
  }

  function setConsent(value) {
    const next = Boolean(value);
    if (next === consent) return;
    consent = next;
    if (!consent) storageClear();
    for (const listener of listeners) listener(consent);
  }

  /** Open the portal's cookie settings: a named function (dotted paths such as
   *  "Cookiebot.renew" work) or, without one, a `tts:open-cookie-settings` event. */
  function openCookieSettings() {
    let owner = window;
    let callback = null;
    if (config.consentCallback) {
      const parts = config.consentCallback.split(".");
      for (let i = 0; i < parts.length && owner != null; i++) {
        callback = owner[parts[i]];
        if (i < parts.length - 1) owner = callback;
      }
    }
    if (typeof callback === "function") callback.call(owner);
    else document.dispatchEvent(new CustomEvent("tts:open-cookie-settings", { bubbles: true }));
  }

  function noticeBlock(text, labelledBy) {
    const id = newId("notice");
    return el(
      "div",
      { class: "tts-notice", "aria-labelledby": labelledBy || false },
      el("p", { class: "tts-notice__text", id, text }),
      el("button", {
        type: "button",
        class: "tts-button tts-button--secondary",
        "aria-describedby": id,
        text: T.openSettings,
        onclick: openCookieSettings,
      })
    );
  }

  /** Replace a container's content, keeping keyboard focus inside it if it was there. */
  function replaceContent(container, node, focusSelector) {
    const hadFocus = container.contains(document.activeElement);
    container.replaceChildren(node);
    if (hadFocus) {
      const target = container.querySelector(focusSelector || "button:not([disabled]), a, input");
      if (target) target.focus();
    }
  }

