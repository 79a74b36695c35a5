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

