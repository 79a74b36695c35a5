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
      notice: null, // the passage notice shown while its sentence plays
      ui: null,
    };
    const audio = el("audio", { class: "tts-audio", preload: "auto" });
    audio.preservesPitch = true;
    audio.mozPreservesPitch = true;
    audio.webkitPreservesPitch = true;

    /** Say `text` in the status region (visible, polite); a passage notice stands out. */
    function announce(text, textLang, isNotice) {
      if (!state.ui) return;
      state.ui.live.textContent = text;
      state.ui.live.classList.toggle("tts-passage", Boolean(isNotice));
      markLanguage(state.ui.live, textLang);
    }

    /** Show (or with null, take away) the notice of a passage that cannot be read aloud. */
    function showNotice(notice) {
      const shown = state.notice;
      state.notice = notice;
      if (notice) announce(notice.text, notice.lang, true);
      else if (shown && state.status === "playing") announce(T.playing);
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
          { class: "tts-player tts-player--off", role: "group", "aria-label": T.playerLabel, lang, dir },
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
      ui.prev = el("button", { type: "button", class: "tts-button tts-prev", "aria-keyshortcuts": keys("prev"), text: T.prev, onclick: () => skip(-1) });
      ui.next = el("button", { type: "button", class: "tts-button tts-next", "aria-keyshortcuts": keys("next"), text: T.next, onclick: () => skip(1) });
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
          el("dt", {}, el("kbd", { dir: "ltr", text: `Alt+Shift+${key}` })),
          el("dd", { text: T[label] }),
        ])
      );
      const root = el(
        "div",
        { class: "tts-player", role: "group", "aria-label": T.playerLabel, lang, dir },
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
        ui.note.hidden = !usesFallbackVoice(state.reading);
        // A CC BY voice's licence asks for its credit wherever it speaks: every voice's.
        const credits = voiceCredits(state.reading);
        ui.credit.replaceChildren(...credits.map((text) => el("span", { class: "tts-credit__line", text })));
        ui.credit.hidden = !credits.length;
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
      const notice = passageNotice(state.reading, state.reading.sentences[i]);
      showNotice(notice);
      // A passage's notice has word timings of its own words, not of the passage's.
      if (state.words && !notice) {
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
      showNotice(null);
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
        // The selected passage's own language (lang attributes), not the widget's.
        { text: selection.text, lang: languageAt(selection.root) }
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
      setStatus("playing");
      if (state.notice) announce(state.notice.text, state.notice.lang, true);
      else announce(T.playing);
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
      showNotice(null);
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
        showNotice(null);
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

