  /* ------------------------------------------------------------------ start */

  function mountPoint(selector, fallback) {
    let node = null;
    try {
      node = document.querySelector(selector);
    } catch (err) {
      node = null;
    }
    if (node) return node;
    // Its own element type, so nth-of-type locators of the page's blocks stay right.
    node = el("tts-widget", { class: "tts-mount rs_skip" });
    fallback(node);
    return node;
  }

  function addStyleSheet() {
    if (data.css === "none" || document.querySelector("link[data-tts-widget]")) return;
    const own = CSS_FILE.startsWith("__") ? "/widget/widget.css" : `/widget/${CSS_FILE}`;
    const link = el("link", { rel: "stylesheet", href: config.service + own, "data-tts-widget": "" });
    if (!CSS_INTEGRITY.startsWith("__")) {
      link.integrity = CSS_INTEGRITY;
      link.crossOrigin = "anonymous";
    }
    document.head.append(link);
  }

  let player = null;

  function init() {
    addStyleSheet();
    const main = document.querySelector("main, [role=main]") || document.body;
    const playerBox = mountPoint(config.player, (node) => {
      const h1 = main.querySelector("h1");
      if (h1) h1.after(node);
      else main.prepend(node);
    });
    const formBox = mountPoint(config.form, (node) => main.append(node));
    // data-lang on the script first, then on the widget's own elements, then the page's.
    setLanguage(
      chooseLanguage(data.lang, playerBox.dataset.lang, formBox.dataset.lang, document.documentElement.lang)
    );
    playerBox.classList.add("rs_skip");
    formBox.classList.add("rs_skip");
    player = createPlayer(playerBox);
    createForm(formBox);
  }

  const api = {
    version: VERSION,
    strings: STRINGS,
    /** Tell the widget whether the visitor accepted settings cookies. */
    setConsent,
    /** True once the visitor has consented. */
    hasConsent: () => consent,
    /** Read the configured consent cookie again (for consent tools without events);
     *  a missing cookie then means no consent. */
    checkConsentCookie: () => {
      const fromCookie = cookieConsent();
      if (fromCookie !== null) setConsent(fromCookie);
    },
    /** The player's state: idle, loading, playing or paused; sentence index and count. */
    status: () => (player ? player.status() : { state: "idle", index: 0, total: 0, speed: 1 }),
  };
  const early = window.TTSWidget; // a portal may set {consent: true} before the script runs
  window.TTSWidget = api;

  const onConsentEvent = (event) => {
    const detail = event.detail || {};
    if (typeof detail.settings === "boolean") setConsent(detail.settings);
  };
  document.addEventListener("tts:consent", onConsentEvent);
  window.addEventListener("tts:consent", onConsentEvent);

  function boot() {
    init();
    if (early && typeof early.consent === "boolean") setConsent(early.consent);
    // At start a missing cookie says nothing (consent may come from the API or an event).
    if (config.consentCookie && cookieConsent() === true) setConsent(true);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
