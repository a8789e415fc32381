// Hash a dropped or chosen file in the browser (Web Crypto) and compare it with a logged hash,
// or put the hash into the look-up form. The file itself never leaves the computer.
(function () {
  "use strict";

  function toHex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function setup(zone) {
    var input = zone.querySelector("input[type=file]");
    var result = zone.querySelector("[data-ledger-result]");
    var expected = (zone.dataset.expectedSha256 || "").toLowerCase();
    var form = zone.closest("form");
    var target = form ? form.querySelector("[data-ledger-hash-target]") : null;

    function show(text, state) {
      result.textContent = text;
      result.className = state ? "is-" + state : "";
    }

    function check(file) {
      if (!file) { return; }
      if (!window.crypto || !window.crypto.subtle) {
        show(zone.dataset.msgUnavailable, "mismatch");
        return;
      }
      show(zone.dataset.msgHashing, "");
      file.arrayBuffer().then(function (bytes) {
        return window.crypto.subtle.digest("SHA-256", bytes);
      }).then(function (digest) {
        var hex = toHex(digest);
        if (expected) {
          var same = hex === expected;
          show((same ? zone.dataset.msgMatch : zone.dataset.msgMismatch) + " SHA-256 " + hex,
               same ? "match" : "mismatch");
        } else if (target) {
          target.value = hex;
          show("SHA-256 " + hex, "");
          form.submit();
        }
      }).catch(function (error) { show(String(error), "mismatch"); });
    }

    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("is-dragover"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("is-dragover");
      check(event.dataTransfer.files[0]);
    });
    input.addEventListener("change", function () { check(input.files[0]); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-ledger-dropzone]").forEach(setup);
  });
})();
