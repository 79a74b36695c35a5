/*
 * A minimal consent manager for the demo page, standing in for the portal's own.
 * It keeps the visitor's choice in its own cookie (as consent tools do) and tells
 * the widget with a `tts:consent` event; the widget also reads that cookie at start
 * (data-consent-cookie) and calls openCookieSettings() from its notices.
 */
(() => {
  "use strict";
  const COOKIE = "demo_consent";
  const HALF_YEAR = 60 * 60 * 24 * 182;
  let opener = null;

  function banner() {
    return document.getElementById("cookie-consent");
  }

  function saved() {
    const match = document.cookie.match(/(?:^|;\s*)demo_consent=([^;]*)/);
    return match ? match[1] : null;
  }

  function focusable(region) {
    return region && region.querySelector("button:not([disabled]), a[href], input, select, textarea");
  }

  function choose(value) {
    document.cookie = `${COOKIE}=${value}; path=/; max-age=${HALF_YEAR}; SameSite=Lax`;
    const region = opener && opener.closest("[data-tts-player], [data-tts-feedback]");
    document.dispatchEvent(
      new CustomEvent("tts:consent", { bubbles: true, detail: { settings: value === "settings" } })
    );
    banner().hidden = true;
    // Back to where the visitor came from, or to the same place in the re-drawn widget.
    const target = opener && opener.isConnected ? opener : focusable(region);
    opener = null;
    if (target) target.focus();
  }

  function openCookieSettings() {
    opener = document.activeElement;
    const box = banner();
    box.hidden = false;
    box.focus();
    box.scrollIntoView({ block: "start" });
  }

  window.openCookieSettings = openCookieSettings;
  document.addEventListener("tts:open-cookie-settings", openCookieSettings);

  function start() {
    const box = banner();
    if (saved()) box.hidden = true;
    box.querySelector("[data-consent=all]").addEventListener("click", () => choose("settings"));
    box.querySelector("[data-consent=necessary]").addEventListener("click", () => choose("necessary"));
    for (const button of document.querySelectorAll("[data-open-cookie-settings]")) {
      button.addEventListener("click", openCookieSettings);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
