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

