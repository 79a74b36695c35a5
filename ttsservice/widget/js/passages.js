  /* --------------------------------------------------------------- passages */

  // What a reading says about who speaks it and what cannot be spoken. Readings from
  // before issue 19 have one `voice` and no per-sentence fields; both shapes work.

  const LANG_TAG = /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i;

  /** The voices of a reading: its `voices` list, else the one `voice` it names. */
  function readingVoices(reading) {
    const list = reading && Array.isArray(reading.voices) && reading.voices.length ? reading.voices : [reading && reading.voice];
    return list.filter((voice) => voice && typeof voice === "object");
  }

  /** Every licence credit the reading's voices ask for, each once, in their order. */
  function voiceCredits(reading) {
    const credits = [];
    for (const voice of readingVoices(reading)) {
      const credit = typeof voice.attribution === "string" ? voice.attribution.trim() : "";
      if (credit && !credits.includes(credit)) credits.push(credit);
    }
    return credits;
  }

  /** True when any voice of the reading is the offline fallback (espeak-ng). */
  function usesFallbackVoice(reading) {
    return readingVoices(reading).some((voice) => voice.fallback === true);
  }

  /**
   * The notice of a passage that cannot be read aloud (its audio speaks the notice),
   * with the language it is written in; null for an ordinary sentence.
   */
  function passageNotice(reading, sentence) {
    if (!sentence || sentence.unreadable !== true) return null;
    const given = typeof sentence.notice === "string" ? sentence.notice.trim() : "";
    if (!given) return { text: T.unreadable, lang };
    return { text: given, lang: reading && typeof reading.lang === "string" ? reading.lang : lang };
  }

  /** Mark a node's text as written in `tag` (and its own direction) when not the widget's. */
  function markLanguage(node, tag) {
    if (tag && LANG_TAG.test(tag) && primaryLang(tag) !== lang) {
      node.setAttribute("lang", tag);
      node.setAttribute("dir", "auto");
    } else {
      node.removeAttribute("lang");
      node.removeAttribute("dir");
    }
  }
