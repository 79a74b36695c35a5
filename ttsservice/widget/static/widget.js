/*!
 * ttsservice widget: the read-aloud player and the page feedback form.
 *
 * Embed with one tag (see the README for the versioned URL and its SRI hash):
 *   <script src="https://tts.example.se/widget/widget.js" data-site="example.se" defer></script>
 *
 * Nothing is stored on the visitor's device and nothing is sent to the
 * service until the portal's consent manager reports consent for settings
 * cookies (TTSWidget.setConsent(true), a `tts:consent` event, or a cookie).
 * Works under a strict Content-Security-Policy: no inline script or style,
 * no eval, no style attributes (classes and the `hidden` attribute only).
 */
(() => {
  "use strict";

  if (window.TTSWidget && window.TTSWidget.version) return; // included twice

  const VERSION = "1";
  const STORAGE_KEY = "ttsWidget";
  const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];
  const COMMENT_MAX = 1000;
  const PREFETCH = 3;
  const HIGHLIGHT = "tts-sentence";
  const WORD_HIGHLIGHT = "tts-word";
  const WORD_GRACE = 0.05; // seconds a word stays marked after it ends (pauses between words)
  // Filled in by the service when it serves this file (content-hashed style sheet and its SRI).
  const CSS_FILE = "__TTS_CSS_FILE__";
  const CSS_INTEGRITY = "__TTS_CSS_INTEGRITY__";

  /* ---------------------------------------------------------------- strings */

  const STRINGS = {
    sv: {
      listen: "Lyssna",
      pause: "Pausa",
      resume: "Fortsätt",
      stop: "Stoppa",
      prev: "Föregående mening",
      next: "Nästa mening",
      speed: "Hastighet",
      follow: "Rulla till texten som läses",
      words: "Markera ordet som läses",
      captions: "Ladda ner textning (WebVTT)",
      readSelection: "Läs markerad text",
      download: "Ladda ner sidan som MP3",
      playerLabel: "Uppläsning",
      progress: "Mening {n} av {total}",
      progressLabel: "Förlopp",
      consentPlayer: "Uppläsnings-funktionen kräver att du accepterar inställnings-cookies",
      consentForm: "Formuläret kräver att du accepterar inställnings-cookies",
      openSettings: "Ändra cookie-inställningar",
      shortcuts: "Kortkommandon",
      keyListen: "Lyssna, pausa eller fortsätt",
      keyPause: "Pausa eller fortsätt",
      keyStop: "Stoppa",
      keyNext: "Nästa mening",
      keyPrev: "Föregående mening",
      keyFaster: "Snabbare",
      keySlower: "Långsammare",
      keySelection: "Läs markerad text",
      keyNote: "Alt är Option på Mac. Kommandona krockar inte med skärmläsarnas egna.",
      loading: "Hämtar texten …",
      playing: "Läser upp",
      paused: "Pausad",
      stopped: "Uppläsningen är stoppad",
      finished: "Uppläsningen är klar",
      truncated: "Texten är för lång för att läsas upp i sin helhet: bara början läses upp.",
      speedSet: "Hastighet {x}",
      waitingAudio: "Väntar på ljudet …",
      selectionNone: "Markera först den text du vill höra, och välj sedan Läs markerad text.",
      selectionReading: "Läser markerad text",
      fallbackVoice: "Reservrösten används just nu, så uppläsningen kan låta sämre än vanligt.",
      errDown: "Det gick inte att nå tjänsten. Kontrollera din internetanslutning och försök igen om en stund.",
      errSlow: "Tjänsten svarar inte i tid just nu. Försök igen om en stund.",
      errBusy: "Tjänsten har mycket att göra. Försöker igen om {s} …",
      second: "sekund",
      seconds: "sekunder",
      errOverloaded: "Tjänsten har för mycket att göra just nu. Försök igen om en minut.",
      errNotAllowed: "Den här sidan kan inte läsas upp eller betygsättas av tjänsten. Kontakta webbplatsens redaktion.",
      errPage: "Det gick inte att hämta texten på sidan. Försök igen om en stund.",
      errAudio: "Ljudet kunde inte spelas upp. Försök igen, eller ladda ner sidan som MP3.",
      errAutoplay: "Webbläsaren stoppade ljudet. Välj Lyssna igen för att starta uppläsningen.",
      errRate: "Du har skickat många förfrågningar på kort tid. Vänta {s} och försök igen.",
      errTooLong: "Texten är för lång. Korta den till högst {max} tecken och försök igen.",
      errGeneric: "Något gick fel ({code}). Försök igen om en stund.",
      heading: "Hjälp oss att förbättra {site}!",
      question: "Hjälpte den här informationen dig?",
      yes: "Ja",
      no: "Nej",
      reasons: "Vad var problemet? (frivilligt)",
      reasonsFailed: "Svarsalternativen gick inte att hämta. Du kan ändå skriva en kommentar.",
      comment: "Kommentar (frivilligt)",
      counter: "{n} av {max} tecken",
      charsLeft: "{n} tecken kvar",
      privacy: "Skriv inte personuppgifter, till exempel namn, personnummer, e-postadress eller telefonnummer. Vi kan inte svara på kommentarer.",
      send: "Skicka",
      sending: "Skickar …",
      followUp: "Tack för ditt svar! Berätta gärna vad som saknades, så kan vi förbättra sidan.",
      thanks: "Tack för ditt svar!",
      thanksComment: "Tack! Vi har tagit emot dina synpunkter.",
      scrubbed: "Vi tog bort något som såg ut som personuppgifter ur kommentaren.",
      duplicate: "Du har redan svarat på den här sidan. Tack!",
      errComment: "Kommentaren kunde inte skickas: {why}",
      errVote: "Svaret kunde inte skickas: {why}",
    },
    en: {
      listen: "Listen",
      pause: "Pause",
      resume: "Resume",
      stop: "Stop",
      prev: "Previous sentence",
      next: "Next sentence",
      speed: "Speed",
      follow: "Scroll to the text being read",
      words: "Highlight the word being read",
      captions: "Download captions (WebVTT)",
      readSelection: "Read selected text",
      download: "Download the page as MP3",
      playerLabel: "Read aloud",
      progress: "Sentence {n} of {total}",
      progressLabel: "Progress",
      consentPlayer: "Read-aloud requires that you accept settings cookies",
      consentForm: "The form requires that you accept settings cookies",
      openSettings: "Change cookie settings",
      shortcuts: "Keyboard shortcuts",
      keyListen: "Listen, pause or resume",
      keyPause: "Pause or resume",
      keyStop: "Stop",
      keyNext: "Next sentence",
      keyPrev: "Previous sentence",
      keyFaster: "Faster",
      keySlower: "Slower",
      keySelection: "Read selected text",
      keyNote: "Alt is Option on a Mac. The shortcuts do not clash with screen readers' own.",
      loading: "Fetching the text …",
      playing: "Reading aloud",
      paused: "Paused",
      stopped: "Reading stopped",
      finished: "Finished reading",
      truncated: "The text is too long to be read aloud in full: only its beginning is read.",
      speedSet: "Speed {x}",
      waitingAudio: "Waiting for the audio …",
      selectionNone: "First select the text you want to hear, then choose Read selected text.",
      selectionReading: "Reading the selected text",
      fallbackVoice: "The fallback voice is in use right now, so reading may sound worse than usual.",
      errDown: "The service could not be reached. Check your internet connection and try again in a moment.",
      errSlow: "The service is not answering in time right now. Try again in a moment.",
      errBusy: "The service is busy. Trying again in {s} …",
      second: "second",
      seconds: "seconds",
      errOverloaded: "The service is too busy right now. Try again in a minute.",
      errNotAllowed: "The service cannot read or rate this page. Contact the site's editors.",
      errPage: "The text of the page could not be fetched. Try again in a moment.",
      errAudio: "The audio could not be played. Try again, or download the page as MP3.",
      errAutoplay: "The browser stopped the audio. Choose Listen again to start reading.",
      errRate: "You have sent many requests in a short time. Wait {s} and try again.",
      errTooLong: "The text is too long. Shorten it to at most {max} characters and try again.",
      errGeneric: "Something went wrong ({code}). Try again in a moment.",
      heading: "Help us improve {site}!",
      question: "Did this information help you?",
      yes: "Yes",
      no: "No",
      reasons: "What was the problem? (optional)",
      reasonsFailed: "The answer options could not be fetched. You can still write a comment.",
      comment: "Comment (optional)",
      counter: "{n} of {max} characters",
      charsLeft: "{n} characters left",
      privacy: "Do not write personal data such as names, personal identity numbers, e-mail addresses or phone numbers. We cannot reply to comments.",
      send: "Send",
      sending: "Sending …",
      followUp: "Thank you for your answer! Tell us what was missing, so we can improve the page.",
      thanks: "Thank you for your answer!",
      thanksComment: "Thank you! We have received your feedback.",
      scrubbed: "We removed something that looked like personal data from the comment.",
      duplicate: "You have already answered for this page. Thank you!",
      errComment: "The comment could not be sent: {why}",
      errVote: "The answer could not be sent: {why}",
    },
  };

  // Alt+Shift+letter: free in NVDA, JAWS, Narrator and VoiceOver (they use Insert,
  // Caps Lock or Ctrl+Option). Matched on event.code so keyboard layouts do not matter.
  const SHORTCUTS = [
    ["KeyL", "L", "keyListen", "toggle"],
    ["KeyP", "P", "keyPause", "pauseResume"],
    ["KeyS", "S", "keyStop", "stop"],
    ["KeyN", "N", "keyNext", "next"],
    ["KeyB", "B", "keyPrev", "prev"],
    ["Period", ".", "keyFaster", "faster"],
    ["Comma", ",", "keySlower", "slower"],
    ["KeyM", "M", "keySelection", "readSelection"],
  ];

  /* ----------------------------------------------------------------- config */

  const script = document.currentScript;
  const data = (script && script.dataset) || {};
  const scriptUrl = script && script.src ? new URL(script.src, location.href) : null;
  const docLang = (document.documentElement.lang || "").toLowerCase();
  const lang = (data.lang || (docLang.startsWith("en") ? "en" : "sv")).toLowerCase().startsWith("en")
    ? "en"
    : "sv";
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
  const T = STRINGS[lang];

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

  const speedLabel = (x) => (lang === "sv" ? String(x).replace(".", ",") : String(x)) + "×";
  const secs = (n) => `${n} ${n === 1 ? T.second : T.seconds}`;
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

  /* -------------------------------------------------------------- highlight */

  /**
   * The DOM range of characters [start, end) of an element's text, counted the way the
   * service counts them (runs of white space as one space, trimmed). The sentence text
   * is looked for near `start` first, so small differences in spacing do not matter.
   */
  function textRange(element, start, end, sentence) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const nodes = [];
    const offsets = [];
    let text = "";
    let space = true;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const value = node.data;
      for (let i = 0; i < value.length; i++) {
        const isSpace = /\s/.test(value[i]);
        if (isSpace && space) continue;
        text += isSpace ? " " : value[i];
        nodes.push(node);
        offsets.push(i);
        space = isSpace;
      }
    }
    if (!text.length) return null;
    const wanted = (sentence || "").replace(/\s+/g, " ").trim();
    let from = wanted ? text.indexOf(wanted, Math.max(0, start - 40)) : -1;
    if (from < 0 && wanted) from = text.indexOf(wanted);
    let to;
    if (from >= 0) {
      to = from + wanted.length;
    } else {
      from = Math.max(0, Math.min(start, text.length - 1));
      to = Math.max(from + 1, Math.min(end, text.length));
    }
    while (to - 1 > from && text[to - 1] === " ") to--;
    const range = document.createRange();
    range.setStart(nodes[from], offsets[from]);
    range.setEnd(nodes[to - 1], offsets[to - 1] + 1);
    // Word ranges are counted from the sentence's first character (see wordRange).
    range.ttsText = { nodes, offsets, from, to };
    return range;
  }

  /** The DOM range of characters [from, to) of a sentence found by textRange. */
  function wordRange(sentenceRange, from, to) {
    const counted = sentenceRange && sentenceRange.ttsText;
    if (!counted) return null;
    const first = counted.from + from;
    let last = Math.min(counted.from + to, counted.to);
    if (first >= last) return null;
    while (last - 1 > first && counted.nodes[last - 1] && /\s/.test(counted.nodes[last - 1].data[counted.offsets[last - 1]])) last--;
    const range = document.createRange();
    range.setStart(counted.nodes[first], counted.offsets[first]);
    range.setEnd(counted.nodes[last - 1], counted.offsets[last - 1] + 1);
    return range;
  }

  const highlighter = {
    block: null,
    mark: null,
    range: null,
    word: null,
    /** Mark the word [from, to) of the highlighted sentence (null: no word). */
    showWord(from, to, follow) {
      if (!(window.CSS && CSS.highlights && typeof Highlight === "function")) return;
      const key = from == null ? null : `${from}:${to}`;
      if (key === this.word) return;
      this.word = key;
      const range = key === null ? null : wordRange(this.range, from, to);
      if (!range) {
        CSS.highlights.delete(WORD_HIGHLIGHT);
        return;
      }
      const word = new Highlight(range);
      word.priority = 1; // above the sentence's highlight
      CSS.highlights.set(WORD_HIGHLIGHT, word);
      if (follow) {
        const box = range.getBoundingClientRect();
        const outside =
          box.top < 0 || box.bottom > window.innerHeight || box.left < 0 || box.right > window.innerWidth;
        if (outside) {
          const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
          window.scrollBy({
            top: box.top - window.innerHeight / 2,
            left: box.left < 0 || box.right > window.innerWidth ? box.left - window.innerWidth / 2 : 0,
            behavior: reduce ? "auto" : "smooth",
          });
        }
      }
    },
    clear() {
      if (window.CSS && CSS.highlights) {
        CSS.highlights.delete(HIGHLIGHT);
        CSS.highlights.delete(WORD_HIGHLIGHT);
      }
      this.range = null;
      this.word = null;
      if (this.mark && this.mark.parentNode) {
        const parent = this.mark.parentNode;
        this.mark.replaceWith(...this.mark.childNodes);
        parent.normalize();
      }
      this.mark = null;
      if (this.block) this.block.classList.remove("tts-block-active");
      this.block = null;
    },
    show(element, range, follow) {
      this.clear();
      if (!element) return;
      this.block = element;
      this.range = range;
      element.classList.add("tts-block-active");
      if (range) {
        if (window.CSS && CSS.highlights && typeof Highlight === "function") {
          CSS.highlights.set(HIGHLIGHT, new Highlight(range));
        } else if (range.startContainer === range.endContainer) {
          // No Custom Highlight API: wrap the text in a <mark> instead.
          this.mark = el("mark", { class: "tts-mark" });
          range.surroundContents(this.mark);
        }
      }
      if (follow) {
        const box = (range || element).getBoundingClientRect();
        const visible = box.top >= 0 && box.bottom <= window.innerHeight;
        if (!visible) {
          const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
          element.scrollIntoView({ block: "center", behavior: reduce ? "auto" : "smooth" });
        }
      }
    },
  };

  /* ----------------------------------------------------------------- player */

  function createPlayer(container) {
    const prefs = () => storageGet();
    const state = {
      status: "idle", // idle | loading | playing | paused
      reading: null,
      readings: new Map(),
      source: null, // {kind: "page"} or {kind: "selection", text, root}
      index: 0,
      speed: 1,
      follow: config.follow,
      words: true, // highlight the word being read
      timings: new Map(), // audio.json path -> promise of the sentence's word timings
      currentWords: null, // the playing sentence's word timings, once known
      currentWordsPath: null, // the audio address those timings go with
      generation: 0,
      fetched: new Map(),
      pending: new Set(), // AbortControllers of audio requests still on their way
      selection: null,
      ui: null,
    };
    const audio = el("audio", { class: "tts-audio", preload: "auto" });
    audio.preservesPitch = true;
    audio.mozPreservesPitch = true;
    audio.webkitPreservesPitch = true;

    function announce(text) {
      if (!state.ui) return;
      state.ui.live.textContent = text;
    }

    function showError(text) {
      if (!state.ui) return;
      state.ui.error.textContent = text || "";
      state.ui.error.hidden = !text;
    }

    function render() {
      if (!consent) {
        state.ui = null;
        const root = el(
          "div",
          { class: "tts-player tts-player--off", role: "group", "aria-label": T.playerLabel },
          el("button", { type: "button", class: "tts-button tts-button--primary", disabled: true, text: T.listen }),
          noticeBlock(T.consentPlayer)
        );
        replaceContent(container, root);
        return;
      }
      const p = prefs();
      if (SPEEDS.includes(Number(p.speed))) state.speed = Number(p.speed);
      if (typeof p.follow === "boolean") state.follow = p.follow;
      if (typeof p.words === "boolean") state.words = p.words;
      const ids = {
        speed: newId("speed"),
        follow: newId("follow"),
        words: newId("words"),
        progress: newId("progress"),
      };
      const keys = (code) => `Alt+Shift+${SHORTCUTS.find((s) => s[3] === code)[1]}`;
      const ui = {};
      ui.main = el("button", {
        type: "button",
        class: "tts-button tts-button--primary tts-main",
        "aria-keyshortcuts": "Alt+Shift+L",
        text: T.listen,
        onclick: () => toggle(),
      });
      ui.stop = el("button", { type: "button", class: "tts-button", "aria-keyshortcuts": keys("stop"), text: T.stop, onclick: () => stop(true) });
      ui.prev = el("button", { type: "button", class: "tts-button", "aria-keyshortcuts": keys("prev"), text: T.prev, onclick: () => skip(-1) });
      ui.next = el("button", { type: "button", class: "tts-button", "aria-keyshortcuts": keys("next"), text: T.next, onclick: () => skip(1) });
      ui.speed = el(
        "select",
        { id: ids.speed, class: "tts-select", onchange: (e) => setSpeed(Number(e.target.value)) },
        ...SPEEDS.map((x) => el("option", { value: x, selected: x === state.speed, text: speedLabel(x) }))
      );
      ui.follow = el("input", {
        type: "checkbox",
        id: ids.follow,
        checked: state.follow,
        onchange: (e) => {
          state.follow = e.target.checked;
          storagePut({ follow: state.follow });
        },
      });
      ui.words = el("input", {
        type: "checkbox",
        id: ids.words,
        checked: state.words,
        onchange: (e) => {
          state.words = e.target.checked;
          storagePut({ words: state.words });
          if (!state.words) highlighter.showWord(null);
          else trackWord();
        },
      });
      ui.selection = el("button", {
        type: "button",
        class: "tts-button",
        "aria-keyshortcuts": keys("readSelection"),
        text: T.readSelection,
        onclick: () => readSelection(),
      });
      ui.download = el("a", { class: "tts-download", href: "#", download: "", hidden: true, text: T.download });
      ui.captions = el("a", { class: "tts-download", href: "#", download: "", hidden: true, text: T.captions });
      ui.progressText = el("span", { id: ids.progress, class: "tts-progress__text" });
      ui.progress = el("progress", { class: "tts-progress__bar", max: 1, value: 0, "aria-labelledby": ids.progress });
      ui.live = el("p", { class: "tts-live", role: "status", "aria-live": "polite" });
      ui.error = el("p", { class: "tts-error", role: "alert", hidden: true });
      ui.note = el("p", { class: "tts-note", hidden: true, text: T.fallbackVoice });
      ui.credit = el("p", { class: "tts-note tts-credit", hidden: true });
      const shortcutList = el(
        "dl",
        { class: "tts-shortcuts__list" },
        ...SHORTCUTS.flatMap(([, key, label]) => [
          el("dt", {}, el("kbd", { text: `Alt+Shift+${key}` })),
          el("dd", { text: T[label] }),
        ])
      );
      const root = el(
        "div",
        { class: "tts-player", role: "group", "aria-label": T.playerLabel, lang },
        el("div", { class: "tts-controls" }, ui.main, ui.stop, ui.prev, ui.next, ui.selection),
        el(
          "div",
          { class: "tts-settings" },
          el("span", { class: "tts-field" }, el("label", { for: ids.speed, text: T.speed }), ui.speed),
          el("span", { class: "tts-field" }, ui.follow, el("label", { for: ids.follow, text: T.follow })),
          el("span", { class: "tts-field" }, ui.words, el("label", { for: ids.words, text: T.words })),
          ui.download,
          ui.captions
        ),
        el("div", { class: "tts-progress", hidden: true }, ui.progressText, ui.progress),
        ui.live,
        ui.error,
        ui.note,
        ui.credit,
        el("details", { class: "tts-shortcuts" }, el("summary", { text: T.shortcuts }), shortcutList, el("p", { text: T.keyNote })),
        audio
      );
      ui.progressBox = root.querySelector(".tts-progress");
      state.ui = ui;
      replaceContent(container, root, ".tts-main");
      update();
    }

    function update() {
      const ui = state.ui;
      if (!ui) return;
      const active = state.status === "playing" || state.status === "paused";
      ui.main.textContent =
        state.status === "playing" ? T.pause : state.status === "paused" ? T.resume : T.listen;
      ui.main.setAttribute("aria-busy", state.status === "loading" ? "true" : "false");
      ui.stop.disabled = !active;
      ui.prev.disabled = !active || state.index === 0;
      ui.next.disabled = !active || !state.reading || state.index >= state.reading.sentences.length - 1;
      if (state.reading && state.reading.sentences.length) {
        const total = state.reading.sentences.length;
        ui.progressBox.hidden = false;
        ui.progress.max = total;
        ui.progress.value = state.index + 1;
        ui.progressText.textContent = fmt(T.progress, { n: state.index + 1, total });
      }
      if (state.reading && state.source && state.source.kind === "page" && state.reading.download) {
        ui.download.href = config.service + state.reading.download;
        ui.download.hidden = false;
        ui.captions.href = config.service + state.reading.download.replace(/\.mp3$/, ".vtt");
        ui.captions.hidden = false;
      }
      if (state.reading) {
        const voice = state.reading.voice || {};
        ui.note.hidden = !voice.fallback;
        // A CC BY voice's licence asks for its credit wherever it speaks.
        ui.credit.textContent = voice.attribution || "";
        ui.credit.hidden = !voice.attribution;
      }
    }

    function setStatus(status, message) {
      state.status = status;
      update();
      if (message) announce(message);
    }

    function audioUrl(i) {
      const sentence = state.reading.sentences[i];
      const mp3 = audio.canPlayType("audio/mpeg") !== "" || !sentence.audio.ogg;
      const path = mp3 ? sentence.audio.mp3 : sentence.audio.ogg;
      // The first sentences go ahead of other work in the service's synthesis queue.
      return i < 2 ? `${path}${path.includes("?") ? "&" : "?"}priority=high` : path;
    }

    /** Have the audio of sentence i synthesised and in the browser's cache (once). */
    function fetchAudio(i, generation) {
      const path = audioUrl(i);
      if (!state.fetched.has(path)) {
        const promise = call(path, {
          raw: true,
          pending: state.pending,
          isCancelled: () => generation !== state.generation,
          onWait: (s) => {
            if (generation === state.generation && i === state.index) showError(fmt(T.errBusy, { s: secs(s) }));
          },
        });
        state.fetched.set(path, promise);
        promise.catch(() => state.fetched.delete(path));
      }
      return state.fetched.get(path);
    }

    /** The word timings of sentence i (null when the voice gives none, or on any error). */
    function fetchTimings(i) {
      const reading = state.reading;
      const sentence = reading.sentences[i];
      if (!sentence.audio || !sentence.audio.json) return Promise.resolve(null);
      const path = sentence.audio.json;
      if (!state.timings.has(path)) {
        const promise = call(path, { retries: 1 })
          .then((body) => (body && Array.isArray(body.words) && body.words.length ? body.words : null))
          .catch(() => null); // sentence highlighting alone
        state.timings.set(path, promise);
      }
      return state.timings.get(path);
    }

    let wordFrame = 0;
    /** Mark the word whose timing covers the audio's current time, every frame while playing. */
    function trackWord() {
      cancelAnimationFrame(wordFrame);
      wordFrame = 0;
      const words = state.words && state.status === "playing" ? state.currentWords : null;
      if (!words) {
        if (!state.words) highlighter.showWord(null);
        return;
      }
      // Until the new sentence's audio is in the element, its time is the last sentence's.
      const path = state.currentWordsPath;
      const t = path && audio.src.endsWith(path) ? audio.currentTime : -1;
      let found = null;
      for (const word of words) {
        if (word.start > t) break;
        found = word;
      }
      if (found && t <= found.end + WORD_GRACE) highlighter.showWord(found.from, found.to, state.follow);
      else highlighter.showWord(null);
      wordFrame = requestAnimationFrame(trackWord);
    }

    function highlight(i) {
      const sentence = state.reading.sentences[i];
      let element = null;
      if (state.source.kind === "page") {
        const block = state.reading.blocks.find((b) => b.index === sentence.block);
        if (block && block.locator) {
          try {
            element = document.querySelector(block.locator);
          } catch (err) {
            element = null;
          }
        }
      } else {
        element = state.source.root;
      }
      if (!element) {
        highlighter.clear();
        return;
      }
      const offset = state.source.kind === "page";
      const range = textRange(
        element,
        offset ? sentence.start : 0,
        offset ? sentence.end : 0,
        sentence.text
      );
      highlighter.show(element, range, state.follow);
    }

    async function playSentence(i) {
      const generation = ++state.generation;
      state.index = i;
      state.currentWords = null;
      showError("");
      highlight(i);
      if (state.words) {
        fetchTimings(i).then((words) => {
          if (generation !== state.generation) return;
          state.currentWords = words;
          state.currentWordsPath = audioUrl(i);
          trackWord();
        });
      }
      setStatus("playing");
      try {
        await fetchAudio(i, generation);
      } catch (problem) {
        if (generation !== state.generation || problem.code === "cancelled") return;
        return fail(problemText(problem, "errAudio"));
      }
      if (generation !== state.generation) return;
      showError("");
      audio.src = config.service + audioUrl(i);
      audio.defaultPlaybackRate = state.speed;
      audio.playbackRate = state.speed;
      audio.preservesPitch = true;
      if (state.status !== "playing") return; // paused while the audio was on its way
      try {
        await audio.play();
      } catch (err) {
        if (generation !== state.generation) return;
        if (err && err.name === "AbortError") return;
        return fail(err && err.name === "NotAllowedError" ? T.errAutoplay : T.errAudio);
      }
      for (let k = i + 1; k <= i + PREFETCH && k < state.reading.sentences.length; k++) {
        fetchAudio(k, generation).catch(() => {});
      }
    }

    function fail(message) {
      state.generation++;
      audio.pause();
      highlighter.clear();
      state.status = "idle";
      update();
      showError(message);
    }

    async function load(source, request) {
      const key = source.kind === "page" ? `page:${config.pageUrl}` : `text:${source.text}`;
      const generation = ++state.generation;
      state.source = source;
      showError("");
      setStatus("loading", T.loading);
      let reading = state.readings.get(key);
      if (!reading) {
        try {
          reading = await call("/api/v1/readings", {
            method: "POST",
            body: request,
            isCancelled: () => generation !== state.generation,
            onWait: (s) => {
              if (generation === state.generation) showError(fmt(T.errBusy, { s: secs(s) }));
            },
          });
        } catch (problem) {
          if (generation !== state.generation || problem.code === "cancelled") return;
          return fail(problemText(problem, source.kind === "page" ? "errPage" : null));
        }
        if (generation !== state.generation) return;
        if (!reading || !Array.isArray(reading.sentences) || !reading.sentences.length) {
          return fail(T.errPage);
        }
        state.readings.set(key, reading);
      }
      state.reading = reading;
      announce(
        (source.kind === "page" ? T.playing : T.selectionReading) +
          (reading.truncated ? `. ${T.truncated}` : "")
      );
      await playSentence(0);
    }

    function currentSelection() {
      const sel = window.getSelection();
      if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
      const range = sel.getRangeAt(0);
      if (container.contains(range.commonAncestorContainer)) return null;
      const text = sel.toString().replace(/\s+/g, " ").trim();
      if (!text) return null;
      let root = range.commonAncestorContainer;
      if (root.nodeType !== 1) root = root.parentElement;
      return { text: text.slice(0, config.maxChars), root };
    }

    function readSelection() {
      if (!state.ui) return;
      const selection = currentSelection() || state.selection;
      if (!selection) {
        announce(T.selectionNone);
        return;
      }
      stop(false);
      load(
        { kind: "selection", text: selection.text, root: selection.root },
        { text: selection.text, lang }
      );
    }

    function start() {
      const selection = currentSelection();
      if (selection) {
        readSelection();
        return;
      }
      load({ kind: "page" }, { url: config.pageUrl });
    }

    function toggle() {
      if (!state.ui) return;
      if (state.status === "playing") pause();
      else if (state.status === "paused") resume();
      else if (state.status === "idle") start();
    }

    function pause() {
      if (state.status !== "playing") return;
      audio.pause();
      setStatus("paused", T.paused);
    }

    function resume() {
      if (state.status !== "paused") return;
      setStatus("playing", T.playing);
      if (audio.src && !audio.ended) {
        audio.play().catch((err) => {
          if (err && err.name !== "AbortError") fail(T.errAudio);
        });
      } else {
        playSentence(state.index);
      }
    }

    /** Tell the service which sentences are no longer needed (stop, leaving the page). */
    function releaseAudio() {
      // Audio still on its way: closing the request lets the service drop its synthesis.
      for (const controller of state.pending) controller.abort();
      state.pending.clear();
      if (!state.reading || state.status === "idle" || !navigator.sendBeacon) return;
      // What the service may have queued ahead of the listener (first sentences, prefetch);
      // the first sentence names the reading, so the service counts one listener less.
      const all = state.reading.sentences;
      const ahead = [all[0]].concat(all.slice(Math.max(1, state.index), state.index + 12));
      const body = JSON.stringify({ audio: ahead.map((s) => s.audio.mp3) });
      try {
        navigator.sendBeacon(config.service + "/api/v1/release", body); // text/plain: no preflight
      } catch (err) {
        // Only a hint to the service: playback is stopped either way.
      }
    }
    window.addEventListener("pagehide", releaseAudio);

    function stop(say) {
      releaseAudio();
      state.generation++;
      audio.pause();
      audio.removeAttribute("src");
      audio.load();
      highlighter.clear();
      const was = state.status;
      state.status = "idle";
      state.index = 0;
      update();
      if (say && was !== "idle") announce(T.stopped);
    }

    function skip(delta) {
      if (!state.reading || (state.status !== "playing" && state.status !== "paused")) return;
      const target = Math.max(0, Math.min(state.reading.sentences.length - 1, state.index + delta));
      if (target !== state.index) playSentence(target);
    }

    function setSpeed(value) {
      if (!SPEEDS.includes(value)) return;
      state.speed = value;
      audio.defaultPlaybackRate = value;
      audio.playbackRate = value;
      audio.preservesPitch = true;
      if (state.ui) state.ui.speed.value = String(value);
      storagePut({ speed: value });
      announce(fmt(T.speedSet, { x: speedLabel(value) }));
    }

    function stepSpeed(delta) {
      const i = SPEEDS.indexOf(state.speed);
      setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + delta))]);
    }

    // Resumed, sought or sped up: the frame loop picks the word from currentTime again.
    audio.addEventListener("play", () => trackWord());
    audio.addEventListener("seeked", () => trackWord());

    audio.addEventListener("ended", () => {
      if (state.status !== "playing") return;
      if (state.index + 1 < state.reading.sentences.length) {
        playSentence(state.index + 1);
      } else {
        highlighter.clear();
        state.status = "idle";
        state.index = 0;
        update();
        announce(T.finished + (state.reading.truncated ? `. ${T.truncated}` : ""));
      }
    });
    audio.addEventListener("error", () => {
      if (state.status === "playing" && audio.getAttribute("src")) fail(T.errAudio);
    });

    document.addEventListener("selectionchange", () => {
      const selection = currentSelection();
      if (selection) state.selection = selection;
    });
    document.addEventListener("pointerdown", (event) => {
      // A click elsewhere in the page drops the remembered selection.
      if (!container.contains(event.target)) state.selection = null;
    });

    const actions = {
      toggle,
      pauseResume: () => (state.status === "playing" ? pause() : resume()),
      stop: () => stop(true),
      next: () => skip(1),
      prev: () => skip(-1),
      faster: () => stepSpeed(1),
      slower: () => stepSpeed(-1),
      readSelection,
    };

    document.addEventListener("keydown", (event) => {
      if (!state.ui || !event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
      const shortcut = SHORTCUTS.find((s) => s[0] === event.code);
      if (!shortcut) return;
      const target = event.target;
      const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (typing && !container.contains(target)) return;
      event.preventDefault();
      actions[shortcut[3]]();
    });

    listeners.push((granted) => {
      if (!granted) {
        stop(false);
        state.readings.clear();
        state.fetched.clear();
        state.reading = null;
        state.selection = null;
        state.speed = 1;
        state.follow = config.follow;
        state.words = true;
        state.timings.clear();
        audio.playbackRate = 1;
      }
      render();
    });
    render();

    return {
      status: () => ({
        state: state.status,
        index: state.index,
        total: state.reading ? state.reading.sentences.length : 0,
        speed: state.speed,
      }),
    };
  }

  /* ------------------------------------------------------------------- form */

  function createForm(container) {
    const state = { voteId: null, reasons: null, ui: null, busy: false, generation: 0 };

    function token() {
      const stored = storageGet().token;
      if (typeof stored === "string" && /^[0-9a-f]{32}$/.test(stored)) return stored;
      if (!consent || !window.crypto || !crypto.getRandomValues) return null;
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      const value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      storagePut({ token: value });
      return value;
    }

    function say(text, isError) {
      const ui = state.ui;
      if (!ui) return;
      ui.error.textContent = isError ? text : "";
      ui.error.hidden = !isError;
      if (!isError) ui.status.textContent = text;
    }

    function render() {
      state.generation++;
      state.voteId = null;
      state.busy = false;
      const headingId = newId("heading");
      const heading = el(`h${config.headingLevel}`, {
        id: headingId,
        class: "tts-feedback__heading",
        text: fmt(T.heading, { site: config.site }),
      });
      if (!consent) {
        state.ui = null;
        const root = el(
          "section",
          { class: "tts-feedback tts-feedback--off", "aria-labelledby": headingId, lang },
          heading,
          noticeBlock(T.consentForm)
        );
        replaceContent(container, root);
        return;
      }
      const ui = {};
      ui.yes = el("button", { type: "button", class: "tts-button tts-button--primary", text: T.yes, onclick: () => vote("yes") });
      ui.no = el("button", { type: "button", class: "tts-button tts-button--primary", text: T.no, onclick: () => vote("no") });
      ui.question = el("fieldset", { class: "tts-feedback__question" }, el("legend", { text: T.question }), ui.yes, ui.no);
      ui.status = el("p", { class: "tts-feedback__status", role: "status", tabindex: "-1" });
      ui.error = el("p", { class: "tts-error", role: "alert", hidden: true });
      ui.followUp = el("div", { class: "tts-feedback__followup" });
      const root = el(
        "section",
        { class: "tts-feedback", "aria-labelledby": headingId, lang },
        heading,
        ui.question,
        ui.status,
        ui.error,
        ui.followUp
      );
      state.ui = ui;
      replaceContent(container, root);
    }

    function setBusy(busy, buttons) {
      state.busy = busy;
      for (const button of buttons) {
        button.disabled = busy;
      }
    }

    async function vote(answer) {
      const ui = state.ui;
      if (!ui || state.busy) return;
      const generation = state.generation;
      setBusy(true, [ui.yes, ui.no]);
      say(T.sending);
      let result;
      try {
        result = await call("/api/v1/votes", {
          method: "POST",
          body: { url: config.pageUrl, answer, reasons: [], comment: null, token: token(), website: "" },
          isCancelled: () => generation !== state.generation,
          onWait: (s) => say(fmt(T.errBusy, { s: secs(s) })),
        });
      } catch (problem) {
        if (generation !== state.generation || problem.code === "cancelled") return;
        setBusy(false, [ui.yes, ui.no]);
        if (problem.code === "duplicate") {
          finish(T.duplicate);
          return;
        }
        say("");
        say(fmt(T.errVote, { why: problemText(problem) }), true);
        return;
      }
      if (generation !== state.generation) return;
      setBusy(false, [ui.yes, ui.no]);
      state.voteId = result && result.id;
      ui.question.hidden = true;
      if (answer === "yes" || !state.voteId) {
        finish(T.thanks);
      } else {
        say(T.followUp);
        await showFollowUp(generation);
      }
    }

    function finish(text) {
      const ui = state.ui;
      ui.question.hidden = true;
      ui.followUp.replaceChildren();
      say(text);
      ui.status.focus();
    }

    async function showFollowUp(generation) {
      const ui = state.ui;
      const ids = { comment: newId("comment"), counter: newId("counter"), privacy: newId("privacy") };
      const reasonsBox = el("fieldset", { class: "tts-feedback__reasons" }, el("legend", { text: T.reasons }));
      const comment = el("textarea", {
        id: ids.comment,
        class: "tts-textarea",
        rows: 4,
        maxlength: COMMENT_MAX,
        "aria-describedby": `${ids.privacy} ${ids.counter}`,
      });
      const counter = el("p", { id: ids.counter, class: "tts-counter", text: fmt(T.counter, { n: 0, max: COMMENT_MAX }) });
      const left = el("p", { class: "tts-vh", "aria-live": "polite" });
      comment.addEventListener("input", () => {
        const n = comment.value.length;
        counter.textContent = fmt(T.counter, { n, max: COMMENT_MAX });
        const remaining = COMMENT_MAX - n;
        // Announce only near the limit, not on every key.
        left.textContent = remaining <= 100 && remaining % 25 === 0 ? fmt(T.charsLeft, { n: remaining }) : left.textContent;
      });
      const send = el("button", { type: "submit", class: "tts-button tts-button--primary", text: T.send });
      const form = el(
        "form",
        { class: "tts-feedback__form", novalidate: true },
        reasonsBox,
        el("p", { class: "tts-field tts-field--stack" }, el("label", { for: ids.comment, text: T.comment }), comment),
        el("p", { id: ids.privacy, class: "tts-privacy", text: T.privacy }),
        counter,
        left,
        send
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        sendComment(form, comment, send);
      });
      ui.followUp.replaceChildren(form);
      reasonsBox.hidden = true;
      try {
        if (!state.reasons) {
          const body = await call(`/api/v1/feedback/reasons?lang=${lang}`, {
            isCancelled: () => generation !== state.generation,
          });
          state.reasons = (body && body.reasons) || [];
        }
      } catch (problem) {
        if (generation !== state.generation) return;
        reasonsBox.replaceWith(el("p", { class: "tts-note", text: T.reasonsFailed }));
        comment.focus();
        return;
      }
      if (generation !== state.generation) return;
      for (const reason of state.reasons) {
        const id = newId("reason");
        reasonsBox.append(
          el(
            "span",
            { class: "tts-field tts-check" },
            el("input", { type: "checkbox", id, name: "reason", value: reason.code }),
            el("label", { for: id, text: reason.label })
          )
        );
      }
      reasonsBox.hidden = state.reasons.length === 0;
      const first = form.querySelector("input, textarea");
      if (first) first.focus();
    }

    /**
     * Send the follow-up. A comment goes to the vote (with the reasons); reasons alone
     * replace the vote by a new one with them, which the visitor's token makes a
     * replacement rather than a second vote (without a token they are not sent).
     */
    async function sendComment(form, comment, send) {
      if (state.busy) return;
      const reasons = Array.from(form.querySelectorAll("input[name=reason]:checked"), (i) => i.value);
      const text = comment.value.trim();
      const visitor = token();
      if (!text && (!reasons.length || !visitor)) {
        finish(T.thanks);
        return;
      }
      const generation = state.generation;
      const options = {
        method: "POST",
        isCancelled: () => generation !== state.generation,
        onWait: (s) => say(fmt(T.errBusy, { s: secs(s) })),
      };
      const asNewVote = () =>
        call("/api/v1/votes", Object.assign({}, options, {
          body: { url: config.pageUrl, answer: "no", reasons, comment: text || null, token: visitor, website: "" },
        }));
      setBusy(true, [send]);
      say(T.sending);
      let result;
      try {
        if (!text) {
          result = await asNewVote();
        } else {
          try {
            result = await call(
              `/api/v1/votes/${encodeURIComponent(state.voteId)}/comment`,
              Object.assign({}, options, { body: { comment: text, reasons } })
            );
          } catch (problem) {
            // The vote is gone (deleted meanwhile): send the comment with a new vote.
            if (problem.code !== "unknown_vote") throw problem;
            result = await asNewVote();
          }
        }
      } catch (problem) {
        if (generation !== state.generation || problem.code === "cancelled") return;
        setBusy(false, [send]);
        if (problem.code === "comment_exists") {
          finish(T.thanksComment);
          return;
        }
        say("");
        say(fmt(T.errComment, { why: problemText(problem) }), true);
        comment.focus();
        return;
      }
      if (generation !== state.generation) return;
      setBusy(false, [send]);
      finish(result && result.scrubbed ? `${T.thanksComment} ${T.scrubbed}` : T.thanksComment);
    }

    listeners.push(() => render());
    render();
  }

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
