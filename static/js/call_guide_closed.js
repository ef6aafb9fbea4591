// Loaded without defer right after the call guide, so a guide this user closed is closed before
// the page is first drawn (no jump). call_desk.js remembers the state when the guide is toggled.
(function (guide) {
  try {
    if (guide && localStorage.getItem(guide.dataset.rememberClosed) === "closed") guide.open = false;
  } catch (error) {}
})(document.getElementById("call-guide-details"));
