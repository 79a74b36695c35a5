  /* ----------------------------------------------------------------- config */

  const script = document.currentScript;
  const data = (script && script.dataset) || {};
  const scriptUrl = script && script.src ? new URL(script.src, location.href) : null;

  /** The primary subtag of a language tag ("fi-FI" -> "fi", "AR" -> "ar"), or "". */
  const primaryLang = (tag) => String(tag || "").trim().toLowerCase().split(/[-_]/)[0];

  /**
   * The widget's language: the first tag given (data-lang, then the page's <html lang>)
   * decides; one the widget has no strings for falls back to Swedish.
   */
  function chooseLanguage(...tags) {
    const given = tags.map(primaryLang).find((tag) => tag);
    return given && STRINGS[given] ? given : "sv";
  }

  /** The language of the text at a node: its closest lang attribute, else the page's. */
  function languageAt(node) {
    const owner = node && node.closest ? node.closest("[lang]") : null;
    return primaryLang(owner ? owner.getAttribute("lang") : document.documentElement.lang) || lang;
  }

  // Chosen again when the widget mounts, where its elements may carry data-lang too.
  let lang = chooseLanguage(data.lang, document.documentElement.lang);
  const config = {
    service: (data.service || (scriptUrl ? scriptUrl.origin : location.origin)).replace(/\/+$/, ""),
    player: data.player || "[data-tts-player]",
    form: data.form || "[data-tts-feedback]",
    site: data.site || location.hostname,
    pageUrl: data.pageUrl || location.href.split("#")[0],
    consentCookie: data.consentCookie || "",
    consentCookieValue: data.consentCookieValue || "",
    consentCallback: data.consentCallback || "",
    timeout: Number(data.timeout) > 0 ? Number(data.timeout) : 15000,
    headingLevel: Math.min(6, Math.max(2, Number(data.headingLevel) || 2)),
    follow: data.follow !== "false",
    maxChars: Number(data.maxChars) > 0 ? Number(data.maxChars) : 3000,
  };
  let T = STRINGS[lang];
  /** Writing direction of the widget's text; set on each of its roots. */
  let dir = RTL.includes(lang) ? "rtl" : "ltr";

  function setLanguage(chosen) {
    lang = chosen;
    T = STRINGS[lang];
    dir = RTL.includes(lang) ? "rtl" : "ltr";
  }

  /* ---------------------------------------------------------------- helpers */

  const fmt = (text, values) =>
    text.replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? String(values[k]) : m));

  let uid = 0;
  const newId = (name) => `tts-${name}-${++uid}`;

  /** Build an element: el("button", {type: "button", class: "x"}, "text", child). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value == null) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child != null) node.append(child);
    }
    return node;
  }

  // Decimal comma in Swedish and Finnish. In right-to-left text the bidi algorithm keeps
  // the digits in order and puts "×" after the number in reading order (at its left).
  const speedLabel = (x) =>
    (lang === "sv" || lang === "fi" ? String(x).replace(".", ",") : String(x)) + "×";
  /** "1 sekund", "5 sekunder": the language's own plural forms (Arabic has six), in digits 0-9. */
  const secs = (n) => {
    try {
      return new Intl.NumberFormat(lang, {
        style: "unit",
        unit: "second",
        unitDisplay: "long",
        numberingSystem: "latn",
      }).format(n);
    } catch (err) {
      return `${n} ${n === 1 ? T.second : T.seconds}`;
    }
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function retryAfterSeconds(response) {
    const raw = response.headers.get("Retry-After");
    const seconds = Number(raw);
    if (Number.isFinite(seconds)) return Math.min(60, Math.max(1, Math.ceil(seconds)));
    const date = Date.parse(raw || "");
    if (Number.isFinite(date)) return Math.min(60, Math.max(1, Math.ceil((date - Date.now()) / 1000)));
    return 5;
  }

  /** A failed call to the service, with a stable code for the message shown. */
  class Problem extends Error {
    constructor(code, status, retryAfter, detail) {
      super(code);
      this.code = code;
      this.status = status || 0;
      this.retryAfter = retryAfter || 0;
      this.detail = detail || "";
    }
  }

  function problemText(problem, fallbackKey) {
    switch (problem.code) {
      case "down":
        return T.errDown;
      case "slow":
        return T.errSlow;
      case "overloaded":
        return T.errOverloaded;
      case "rate_limited":
        return fmt(T.errRate, { s: secs(problem.retryAfter || 60) });
      case "page_not_allowed":
      case "origin_not_allowed":
        return T.errNotAllowed;
      case "comment_too_long":
      case "too_long":
        return fmt(T.errTooLong, { max: problem.code === "comment_too_long" ? COMMENT_MAX : config.maxChars });
      default:
        return fallbackKey ? T[fallbackKey] : fmt(T.errGeneric, { code: problem.code });
    }
  }

  /**
   * One call to the service: bounded in time by an AbortController, retried after
   * Retry-After when the service answers 503, and every failure turned into a Problem.
   */
  async function call(path, options) {
    const opts = options || {};
    const retries = opts.retries == null ? 3 : opts.retries;
    for (let attempt = 0; ; attempt++) {
      if (opts.isCancelled && opts.isCancelled()) throw new Problem("cancelled");
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), opts.timeout || config.timeout);
      if (opts.pending) opts.pending.add(controller); // so a stop can abort it
      let response;
      try {
        const init = {
          method: opts.method || "GET",
          headers: { Accept: opts.raw ? "*/*" : "application/json" },
          credentials: "omit",
          signal: controller.signal,
        };
        if (opts.body !== undefined) {
          init.headers["Content-Type"] = "application/json";
          init.body = JSON.stringify(opts.body);
        }
        response = await fetch(config.service + path, init);
        if (response.ok && opts.raw) {
          await response.arrayBuffer(); // read it all, so it lands in the HTTP cache
          return response;
        }
      } catch (err) {
        throw new Problem(controller.signal.aborted ? "slow" : "down");
      } finally {
        clearTimeout(timer);
        if (opts.pending) opts.pending.delete(controller);
      }
      if (response.status === 503 && attempt < retries) {
        const wait = retryAfterSeconds(response);
        if (opts.onWait) opts.onWait(wait);
        await sleep(wait * 1000);
        continue;
      }
      let body = null;
      try {
        body = await response.json();
      } catch (err) {
        body = null;
      }
      if (response.ok) return body;
      const error = (body && body.error) || {};
      const code =
        response.status === 503 ? "overloaded" : error.code || `http_${response.status}`;
      throw new Problem(code, response.status, retryAfterSeconds(response), error.message);
    }
  }

