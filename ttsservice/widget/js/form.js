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
          { class: "tts-feedback tts-feedback--off", "aria-labelledby": headingId, lang, dir },
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
        { class: "tts-feedback", "aria-labelledby": headingId, lang, dir },
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

