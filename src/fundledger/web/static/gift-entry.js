// The gift form's donor suggestions: as the treasurer types a name (or an e-mail), the donors
// that match fill the field's <datalist>; picking one fills in their e-mail, so the gift goes
// to them and to no new donor of the same name. Without this script the form works the same
// and "Preview" names the matches. Loaded with <script src> (the CSP allows no inline script).
"use strict";
(function () {
  var WAIT_MS = 200;
  document.querySelectorAll("input[data-suggest]").forEach(function (field) {
    var list = document.getElementById(field.getAttribute("list"));
    var email = document.getElementById(field.dataset.email);
    var timer = null;
    var shown = [];
    var asked = "";
    var asking = null;  // the request in flight, if any
    function fill(donors) {
      shown = donors;
      list.replaceChildren();
      donors.forEach(function (donor) {
        var option = document.createElement("option");
        option.value = donor.name;
        option.label = donor.email ? donor.name + " <" + donor.email + "> #" + donor.id
                                   : donor.name + " #" + donor.id;
        list.appendChild(option);
      });
    }
    function ask() {
      var wanted = field.value.trim();
      if (wanted.length < 2 || wanted === asked) { return; }
      asked = wanted;
      asking = new AbortController();
      fetch(field.dataset.suggest + "?q=" + encodeURIComponent(wanted), {
        credentials: "same-origin", headers: { Accept: "application/json" },
        signal: asking.signal
      }).then(function (answer) {
        return answer.ok ? answer.json() : { donors: [] };
      }).then(function (found) {
        if (field.value.trim() === wanted) { fill(found.donors); }
      }).catch(function () { fill([]); });
    }
    // Once the form is sent, no suggestion is asked for or awaited. A request still on its
    // way can be answered after the page that follows the save, with the session cookie as
    // that request found it; the browser keeps the last cookie it is given, so a notice
    // already shown came back on the next page (a browser test caught it).
    if (field.form) {
      field.form.addEventListener("submit", function () {
        clearTimeout(timer);
        if (asking) { asking.abort(); }
      });
    }
    field.addEventListener("input", function (event) {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
      // A name picked from the list (not typed: a new donor may share an existing one's
      // name): their e-mail with it, when it is known and one only. A pick replaces the text
      // ("insertReplacementText"); browsers that do not say how came by a plain Event.
      if (event.inputType && event.inputType !== "insertReplacementText") { return; }
      var picked = shown.filter(function (donor) { return donor.name === field.value; });
      if (email && !email.value && picked.length === 1 && picked[0].email) {
        email.value = picked[0].email;
      }
    });
  });
})();
