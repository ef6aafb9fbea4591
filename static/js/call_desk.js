/* The collector's desk: nothing typed is lost.
 *
 * 1. A failed save (network down, server error, or input the server refuses with a 400 and
 *    a sentence) shows a message in the panel; htmx leaves the form as it was, so the
 *    collector can fix it or simply press the button again.
 * 2. The call form is kept as a draft in this browser (localStorage, per debtor) while it is
 *    typed; after a reload the draft comes back, and it is cleared once the call is logged.
 * 3. Ctrl+Enter saves from anywhere in the form (Enter alone already does in a text field);
 *    Alt+1…7 picks how the call ended.
 * 4. The call guide remembers, per user, that it was closed.
 */
(function () {
  "use strict";

  var DRAFT_PREFIX = "crm:call-draft:";
  var SKIP = { csrfmiddlewaretoken: true };

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }
  }

  function draftKey(form) { return DRAFT_PREFIX + form.dataset.debtor; }

  function saveDraft(form) {
    var store = storage();
    if (!store) return;
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP[field.name] || field.type === "submit") return;
      if ((field.type === "radio" || field.type === "checkbox")) {
        if (field.checked) values[field.name] = field.value;
      } else {
        values[field.name] = field.value;
      }
    });
    store.setItem(draftKey(form), JSON.stringify({ savedAt: Date.now(), values: values }));
  }

  function restoreDraft(form) {
    var store = storage();
    if (!store || form.dataset.bound === "true") return;  // a form with errors shows what was sent
    var raw = store.getItem(draftKey(form));
    if (!raw) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (error) { store.removeItem(draftKey(form)); return; }
    var values = draft.values || {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || !(field.name in values)) return;
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = field.value === values[field.name];
      } else if (field.type !== "submit") {
        field.value = values[field.name];
      }
    });
    var note = form.querySelector(".draft-restored");
    if (note) note.hidden = false;
  }

  function clearDraft(debtorId) {
    var store = storage();
    if (store) store.removeItem(DRAFT_PREFIX + debtorId);
  }

  // `text` replaces the note's own words for this failure (the server said what was wrong).
  function networkError(element, show, text) {
    var box = element.closest("#call-panel, #summary-send") || element;
    var note = box.querySelector(".network-error");
    if (note) {
      if (note.dataset.usual === undefined) note.dataset.usual = note.textContent;
      note.textContent = text || note.dataset.usual;
      note.hidden = !show;
      if (show) note.focus && note.setAttribute("tabindex", "-1");
    }
  }

  // A 400 in plain text is the server refusing what was typed (e.g. a character that cannot
  // be stored, pasted from another program): show its sentence instead of "connection failed".
  function refusal(xhr) {
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    return xhr && xhr.status === 400 && type.indexOf("text/plain") === 0 ? xhr.responseText : null;
  }

  function setUp(root) {
    root.querySelectorAll("form.call-form[data-debtor]").forEach(function (form) {
      if (form.dataset.deskReady) return;
      form.dataset.deskReady = "1";
      restoreDraft(form);
      form.addEventListener("input", function () { saveDraft(form); });
      form.addEventListener("change", function () { saveDraft(form); });
      form.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
      var discard = form.querySelector("[data-discard-draft]");
      if (discard) {
        discard.addEventListener("click", function () {
          clearDraft(form.dataset.debtor);
          window.location.reload();
        });
      }
    });
    root.querySelectorAll("[data-call-logged]").forEach(function (summary) {
      clearDraft(summary.dataset.callLogged);
    });
  }

  // Alt+1…9 chooses the option with that access key (how the call ended) and focuses it.
  // Browsers only focus a radio on its access key; checking it saves a keystroke per call.
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    var match = /^Digit([1-9])$/.exec(event.code || "");
    if (!match) return;
    var radio = document.querySelector('form.call-form input[type=radio][accesskey="' + match[1] + '"]');
    if (!radio) return;
    event.preventDefault();
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // The call guide stays closed for this user once they close it (localStorage, per user:
  // the key names them). The guide's own inline script closes it before the first paint.
  function rememberGuide() {
    var guide = document.querySelector("details[data-remember-closed]");
    var store = storage();
    if (!guide || !store) return;
    guide.addEventListener("toggle", function () {
      if (guide.open) store.removeItem(guide.dataset.rememberClosed);
      else store.setItem(guide.dataset.rememberClosed, "closed");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); rememberGuide(); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });

  // htmx swaps nothing on a failed request: the form stays exactly as typed.
  document.addEventListener("htmx:sendError", function (event) { networkError(event.target, true); });
  document.addEventListener("htmx:responseError", function (event) {
    networkError(event.target, true, refusal(event.detail.xhr));
  });
  document.addEventListener("htmx:beforeRequest", function (event) { networkError(event.target, false); });
})();
